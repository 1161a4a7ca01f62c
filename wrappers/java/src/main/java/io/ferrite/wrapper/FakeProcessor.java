package io.ferrite.wrapper;

import io.ferrite.wrapper.Protocol.Message;
import io.ferrite.wrapper.Protocol.ProtocolException;
import io.ferrite.wrapper.codec.Codec;
import io.ferrite.wrapper.transport.ShmRing;
import io.ferrite.wrapper.transport.ShmTransport;
import io.ferrite.wrapper.transport.SocketTransport;
import io.ferrite.wrapper.transport.Transport;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The processor's end of one worker's connection, inside this JVM: the wrapper's tests and {@link
 * Training} drive a real {@link Main#run} against it over a real socket (and for shm a real
 * segment, made as the processor makes it).
 */
public final class FakeProcessor implements Closeable {
  private final String transport;
  private final String codecName;
  private final ServerSocketChannel server;
  private final Path socketDir;
  private final String address;

  /** For shm: the processor's end of the segment, and its path; else null. */
  private ShmRing.Endpoint segment;

  private Path segmentPath;

  private final ArrayDeque<Message> received = new ArrayDeque<>();
  private Connection conn;

  private FakeProcessor(
      String transport,
      String codecName,
      ServerSocketChannel server,
      Path socketDir,
      String address) {
    this.transport = transport;
    this.codecName = codecName;
    this.server = server;
    this.socketDir = socketDir;
    this.address = address;
  }

  /** Rings of shm segments here: the processor's default, which the tests' 3 MiB frames fill. */
  static final long SHM_CAPACITY = 1 << 20;

  /**
   * Listens on a fresh unix socket or loopback port; for shm, a unix socket beside a new segment.
   *
   * @param transport {@code unix}, {@code tcp} or {@code shm}
   * @param codec the codec's name
   * @return the processor
   * @throws IOException if it cannot listen
   */
  public static FakeProcessor listen(String transport, String codec) throws IOException {
    if (transport.equals("unix") || transport.equals("shm")) {
      Path dir = Files.createTempDirectory(segmentRoot(transport), "ferrite-java-");
      Path socket = dir.resolve("worker-0.sock");
      ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(socket));
      FakeProcessor processor = new FakeProcessor(transport, codec, server, dir, socket.toString());
      if (transport.equals("shm")) {
        processor.segmentPath = dir.resolve("worker-0-0.ring");
        processor.segment = ShmRing.create(processor.segmentPath, SHM_CAPACITY);
      }
      return processor;
    }
    ServerSocketChannel server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
    return new FakeProcessor(transport, codec, server, null, "127.0.0.1:" + port);
  }

  /** Where the processor puts segments: /dev/shm (memory) where there is one, as it does. */
  private static Path segmentRoot(String transport) {
    Path shm = Path.of("/dev/shm");
    if (transport.equals("shm") && Files.isDirectory(shm) && Files.isWritable(shm)) {
      return shm;
    }
    return Path.of(System.getProperty("java.io.tmpdir"));
  }

  /** The {@code FERRITE_*} variables a wrapper needs to connect here. */
  Map<String, String> env(String handler, int concurrency) {
    Map<String, String> env = new HashMap<>();
    env.put("FERRITE_PROTOCOL", "1");
    env.put("FERRITE_TRANSPORT", transport);
    env.put("FERRITE_ADDRESS", address);
    if (segment != null) {
      env.put("FERRITE_SHM_PATH", segmentPath.toString());
      env.put("FERRITE_SPIN_MICROS", "0");
    }
    env.put("FERRITE_CODEC", codecName);
    env.put("FERRITE_TOKEN", "t0ken");
    env.put("FERRITE_HANDLER", handler);
    env.put("FERRITE_FUNCTION_NAME", "fake");
    env.put("FERRITE_WORKER_ID", "0");
    env.put("FERRITE_LOG_LEVEL", "debug");
    env.put("FERRITE_CONCURRENCY", Integer.toString(concurrency));
    return env;
  }

  /**
   * Where a wrapper connects, as in {@code FERRITE_ADDRESS}.
   *
   * @return the socket's path, or {@code 127.0.0.1:PORT}
   */
  public String address() {
    return address;
  }

  /**
   * Where a wrapper connects, with the segment for shm.
   *
   * @return the target
   */
  public Transport.Target target() {
    return new Transport.Target(address, segment == null ? "" : segmentPath.toString(), 0);
  }

  /**
   * Waits for a wrapper to connect, and gives the raw byte stream.
   *
   * @return the processor's end of the transport
   * @throws IOException if accepting fails
   */
  public Transport acceptTransport() throws IOException {
    if (segment != null) {
      return new ShmTransport(segment, server.accept(), 0);
    }
    return new SocketTransport(server.accept());
  }

  /** Waits for the wrapper to connect, and speaks the protocol with it from then on. */
  void accept() throws IOException {
    conn = new Connection(acceptTransport(), Codec.named(codecName));
  }

  /** The next message from the wrapper; null at the end of the stream. */
  Message next() throws IOException, ProtocolException {
    List<Message> batch = new ArrayList<>();
    while (received.isEmpty()) {
      batch.clear();
      if (!conn.receive(batch)) {
        return null;
      }
      received.addAll(batch);
    }
    return received.poll();
  }

  /** The next message that is not a log line. */
  Message nextNotLog(List<Message> logs) throws IOException, ProtocolException {
    while (true) {
      Message message = next();
      if (message == null || message.kind() != Protocol.LOG) {
        return message;
      }
      logs.add(message);
    }
  }

  void send(Message message) throws IOException, ProtocolException {
    conn.send(message);
  }

  /** Queues a message to go with the next {@link #send} or {@link #flush}. */
  void queue(Message message) throws IOException, ProtocolException {
    conn.queue(message);
  }

  void flush() throws IOException {
    conn.flush();
  }

  /**
   * An {@code event} message as the processor sends it.
   *
   * @param id the event's id
   * @param method the HTTP method
   * @param path the path
   * @param query the query string, without {@code ?}
   * @param body the body
   * @return the message
   */
  public static Message event(long id, String method, String path, String query, byte[] body) {
    Map<String, Object> event = new HashMap<>();
    event.put("id", id);
    event.put("trigger", Map.of("kind", "http", "name", "web"));
    event.put("method", method);
    event.put("path", path);
    event.put("url", query.isEmpty() ? path : path + "?" + query);
    Map<String, Object> fields = new HashMap<>();
    if (!query.isEmpty()) {
      for (String pair : query.split("&")) {
        String[] parts = pair.split("=", 2);
        fields.put(parts[0], parts.length > 1 ? parts[1] : "");
      }
    }
    event.put("query", fields);
    event.put("headers", Map.of("content-type", "text/plain", "x-test", "yes"));
    event.put("content_type", "text/plain");
    event.put("body", body);
    event.put("timestamp", System.currentTimeMillis());
    event.put("deadline", 0L);
    return new Message(Protocol.EVENT, event);
  }

  @Override
  public void close() throws IOException {
    try {
      if (conn != null) {
        conn.close();
      }
      server.close();
    } finally {
      if (socketDir != null) {
        Files.deleteIfExists(socketDir.resolve("worker-0.sock"));
        if (segmentPath != null) {
          Files.deleteIfExists(segmentPath);
        }
        Files.deleteIfExists(socketDir);
      }
    }
  }
}
