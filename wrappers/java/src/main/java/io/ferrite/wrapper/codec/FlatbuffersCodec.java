package io.ferrite.wrapper.codec;

import com.google.flatbuffers.FlatBufferBuilder;
import ferrite.wire.Event;
import ferrite.wire.Frame;
import ferrite.wire.Hello;
import ferrite.wire.InitError;
import ferrite.wire.Log;
import ferrite.wire.Metric;
import ferrite.wire.Pair;
import ferrite.wire.Ping;
import ferrite.wire.Pong;
import ferrite.wire.Ready;
import ferrite.wire.Response;
import ferrite.wire.Shutdown;
import ferrite.wire.Trigger;
import io.ferrite.Json;
import io.ferrite.wrapper.Protocol;
import io.ferrite.wrapper.Protocol.Message;
import io.ferrite.wrapper.Protocol.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code u32 BE length | FlatBuffers buffer} frames, the buffer's root a {@code Frame} of {@code
 * schemas/wire.fbs} whose union type is the message kind. Reads and writes through the code flatc
 * generates ({@code ferrite.wire}); every kind both ways, as the other codecs do, so that the
 * in-process {@link io.ferrite.wrapper.FakeProcessor} speaks it too.
 *
 * <p>A frame is read in place: the tables are views of the read buffer, and an event's body is a
 * {@code ByteBuffer} slice of it, copied once into the {@code byte[]} the SDK's event holds (the
 * read buffer is reused for the next frames, so the handler cannot keep a view of it). Like the
 * other wrappers it trusts the processor, which verifies what it sends, and runs no verifier
 * (flatbuffers-java has none): reads out of the frame's bounds still fail, as a malformed message.
 */
final class FlatbuffersCodec implements Codec {
  private static final int PREFIX = 4;

  /** The length prefix, the root offset and the identifier {@code FRT1}. */
  private static final int SMALLEST = PREFIX + 8;

  private static final String IDENTIFIER = "FRT1";

  /** The builder's first size; one grown past {@link #KEEP} is dropped after its frame. */
  private static final int INITIAL = 16 * 1024;

  private static final int KEEP = 64 * INITIAL;

  private static final byte[] EMPTY = new byte[0];

  // Encoding, under the connection's write lock: one builder, cleared for every frame.
  private FlatBufferBuilder builder = new FlatBufferBuilder(INITIAL);
  private int capacity = INITIAL;
  private int[] offsets = new int[16];

  // Decoding, on the reading thread: table views, pointed at each frame in turn.
  private final Frame frame = new Frame();
  private final Event event = new Event();
  private final Trigger trigger = new Trigger();
  private final Pair pair = new Pair();
  private final Response response = new Response();
  private final Hello hello = new Hello();
  private final Ready ready = new Ready();
  private final InitError initError = new InitError();
  private final Log log = new Log();
  private final Metric metric = new Metric();
  private final Ping ping = new Ping();
  private final Pong pong = new Pong();
  private final Shutdown shutdown = new Shutdown();

  @Override
  public void encode(Message message, FrameBuffer out) throws ProtocolException {
    String name = Protocol.name(message.kind());
    if (name == null) {
      throw new ProtocolException("cannot encode a message of unknown kind " + message.kind());
    }
    ByteBuffer data;
    try {
      Map<String, Object> payload = message.payload();
      Object body = payload.get("body");
      int bodyLength = body instanceof byte[] ? ((byte[]) body).length : 0;
      if (bodyLength > Protocol.MAX_FRAME_LEN) {
        // Refused before the builder copies it.
        throw Protocol.frameTooLarge(bodyLength);
      }
      int needed = bodyLength + 4096;
      if (needed > capacity) {
        // One allocation for a large body, where growing would copy the buffer at each doubling.
        builder = new FlatBufferBuilder(needed);
      } else {
        builder.clear();
      }
      int table = table(message.kind(), payload);
      Frame.finishFrameBuffer(builder, Frame.createFrame(builder, (byte) message.kind(), table));
      data = builder.dataBuffer();
    } catch (RuntimeException e) {
      builder = new FlatBufferBuilder(INITIAL);
      capacity = INITIAL;
      throw new ProtocolException("cannot encode a " + name + ": " + e, e);
    }
    int length = data.remaining();
    if (length <= Protocol.MAX_FRAME_LEN) {
      int start = out.size();
      out.ensure(PREFIX + length);
      out.write(0);
      out.write(0);
      out.write(0);
      out.write(0);
      out.putInt(start, length);
      out.write(data.array(), data.arrayOffset() + data.position(), length);
    }
    capacity = data.capacity();
    if (capacity > KEEP) {
      // Give back the memory of a frame far larger than usual.
      builder = new FlatBufferBuilder(INITIAL);
      capacity = INITIAL;
    }
    if (length > Protocol.MAX_FRAME_LEN) {
      throw Protocol.frameTooLarge(length);
    }
  }

  /** The message's table, built bottom-up: its strings and vectors first, then the table. */
  private int table(int kind, Map<String, Object> p) {
    switch (kind) {
      case Protocol.HELLO:
        {
          int token = string(p.get("token"));
          int runtime = string(p.get("runtime"));
          int version = string(p.get("runtime_version"));
          Hello.startHello(builder);
          Hello.addProtocol(builder, u32(p, "protocol"));
          Hello.addToken(builder, token);
          Hello.addRuntime(builder, runtime);
          Hello.addRuntimeVersion(builder, version);
          Hello.addPid(builder, u32(p, "pid"));
          Hello.addConcurrency(builder, u32(p, "concurrency"));
          return Hello.endHello(builder);
        }
      case Protocol.READY:
        Ready.startReady(builder);
        return Ready.endReady(builder);
      case Protocol.INIT_ERROR:
        {
          int text = string(p.get("message"));
          int detail = string(p.get("detail"));
          InitError.startInitError(builder);
          InitError.addMessage(builder, text);
          InitError.addDetail(builder, detail);
          return InitError.endInitError(builder);
        }
      case Protocol.EVENT:
        {
          int body = bytes(p.get("body"));
          Map<?, ?> from = map(p.get("trigger"));
          int triggerKind = string(from.get("kind"));
          int triggerName = string(from.get("name"));
          int triggerTable = Trigger.createTrigger(builder, triggerKind, triggerName);
          int method = string(p.get("method"));
          int path = string(p.get("path"));
          int url = string(p.get("url"));
          int query = pairs(p.get("query"));
          int headers = pairs(p.get("headers"));
          int contentType = string(p.get("content_type"));
          Event.startEvent(builder);
          Event.addId(builder, number(p.get("id")));
          Event.addTrigger(builder, triggerTable);
          Event.addMethod(builder, method);
          Event.addPath(builder, path);
          Event.addUrl(builder, url);
          Event.addQuery(builder, query);
          Event.addHeaders(builder, headers);
          Event.addContentType(builder, contentType);
          Event.addBody(builder, body);
          Event.addTimestamp(builder, number(p.get("timestamp")));
          Event.addDeadline(builder, number(p.get("deadline")));
          return Event.endEvent(builder);
        }
      case Protocol.RESPONSE:
        {
          int body = bytes(p.get("body"));
          int headers = pairs(p.get("headers"));
          int contentType = string(p.get("content_type"));
          int error = string(p.get("error"));
          Response.startResponse(builder);
          Response.addId(builder, number(p.get("id")));
          Response.addStatus(builder, u32(p, "status"));
          Response.addHeaders(builder, headers);
          Response.addContentType(builder, contentType);
          Response.addBody(builder, body);
          Response.addError(builder, error);
          return Response.endResponse(builder);
        }
      case Protocol.LOG:
        {
          int level = string(p.get("level"));
          int text = string(p.get("message"));
          Object fields = p.get("fields");
          int fieldsJson =
              fields == null || (fields instanceof Map && ((Map<?, ?>) fields).isEmpty())
                  ? 0
                  : string(Json.stringify(fields));
          Log.startLog(builder);
          Object id = p.get("id");
          if (id != null) {
            // The generated addId leaves out a value equal to the default, 0, which for this
            // optional field would read back as absent: force it in.
            builder.forceDefaults(true);
            Log.addId(builder, number(id));
            builder.forceDefaults(false);
          }
          Log.addLevel(builder, level);
          Log.addMessage(builder, text);
          Log.addFieldsJson(builder, fieldsJson);
          return Log.endLog(builder);
        }
      case Protocol.METRIC:
        {
          int metricName = string(p.get("name"));
          int labels = pairs(p.get("labels"));
          Object value = p.get("value");
          Metric.startMetric(builder);
          Metric.addName(builder, metricName);
          Metric.addValue(builder, value == null ? 0 : ((Number) value).doubleValue());
          Metric.addLabels(builder, labels);
          return Metric.endMetric(builder);
        }
      case Protocol.PING:
        return Ping.createPing(builder, number(p.get("nonce")));
      case Protocol.PONG:
        return Pong.createPong(builder, number(p.get("nonce")));
      case Protocol.SHUTDOWN:
        Shutdown.startShutdown(builder);
        return Shutdown.endShutdown(builder);
      default:
        throw new IllegalArgumentException("unknown message kind " + kind);
    }
  }

  /** A string's offset, or 0 (absent) for null. */
  private int string(Object value) {
    if (value == null) {
      return 0;
    }
    String text = value.toString();
    try {
      return builder.createString(text);
    } catch (IllegalArgumentException e) {
      // A lone surrogate, which the builder's encoder refuses before writing anything; the JDK's
      // encoder writes '?' for it, as the msgpack codec's does.
      return builder.createString(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }
  }

  private int bytes(Object value) {
    if (value == null) {
      return 0;
    }
    if (!(value instanceof byte[])) {
      throw new IllegalArgumentException("body is not bytes");
    }
    return builder.createByteVector((byte[]) value);
  }

  /** A vector of {@code Pair}s in the map's order, or 0 (absent) for a null or empty map. */
  private int pairs(Object value) {
    Map<?, ?> map = map(value);
    int size = map.size();
    if (size == 0) {
      return 0;
    }
    if (offsets.length < size) {
      offsets = new int[Math.max(size, 2 * offsets.length)];
    }
    int i = 0;
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      int key = string(String.valueOf(entry.getKey()));
      int text = string(entry.getValue() == null ? "" : entry.getValue());
      offsets[i++] = Pair.createPair(builder, key, text);
    }
    builder.startVector(4, size, 4);
    for (i = size - 1; i >= 0; i--) {
      builder.addOffset(offsets[i]);
    }
    return builder.endVector();
  }

  private static Map<?, ?> map(Object value) {
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof Map)) {
      throw new IllegalArgumentException("expected a map, got " + value.getClass().getName());
    }
    return (Map<?, ?>) value;
  }

  private static long number(Object value) {
    return value == null ? 0 : ((Number) value).longValue();
  }

  private static long u32(Map<String, Object> payload, String name) {
    long value = number(payload.get(name));
    if (value < 0 || value > 0xffff_ffffL) {
      throw new IllegalArgumentException(name + " " + value + " is not a uint32");
    }
    return value;
  }

  @Override
  public int decode(byte[] bytes, int start, int end, List<Message> out) throws ProtocolException {
    int position = start;
    while (end - position >= PREFIX) {
      long length = readLength(bytes, position);
      if (length > Protocol.MAX_FRAME_LEN) {
        throw Protocol.frameTooLarge(length);
      }
      if (length == 0) {
        throw new ProtocolException("empty frame (length 0)");
      }
      long stop = position + PREFIX + length;
      if (stop > end) {
        break;
      }
      if (length < SMALLEST - PREFIX) {
        throw new ProtocolException(
            "malformed flatbuffers frame: " + length + " bytes are too few for a buffer");
      }
      // A view of this frame alone, so that an offset outside it fails rather than read a
      // neighbour. Read-only, because the runtime reads the text of a buffer with an array
      // through the array, bounded by the array's length and not the view's.
      ByteBuffer buffer =
          ByteBuffer.wrap(bytes, position + PREFIX, (int) length)
              .slice()
              .asReadOnlyBuffer()
              .order(ByteOrder.LITTLE_ENDIAN);
      out.add(read(buffer));
      position = (int) stop;
    }
    return position - start;
  }

  @Override
  public int frameSize(byte[] bytes, int start, int end) {
    return end - start >= PREFIX
        ? (int) Math.min(readLength(bytes, start) + PREFIX, Integer.MAX_VALUE)
        : -1;
  }

  private static long readLength(byte[] bytes, int position) {
    return ((bytes[position] & 0xffL) << 24)
        | ((bytes[position + 1] & 0xffL) << 16)
        | ((bytes[position + 2] & 0xffL) << 8)
        | (bytes[position + 3] & 0xffL);
  }

  private Message read(ByteBuffer buffer) throws ProtocolException {
    if (!Frame.FrameBufferHasIdentifier(buffer)) {
      byte[] found = new byte[4];
      buffer.get(4, found);
      throw new ProtocolException(
          "malformed flatbuffers frame: identifier is not "
              + IDENTIFIER
              + " (got "
              + Arrays.toString(found)
              + ")");
    }
    int kind;
    String name;
    try {
      Frame.getRootAsFrame(buffer, frame);
      kind = frame.messageType() & 0xff;
      name = Protocol.name(kind);
    } catch (RuntimeException e) {
      throw new ProtocolException("malformed flatbuffers frame: " + e, e);
    }
    if (name == null) {
      throw new ProtocolException("unknown message kind " + kind);
    }
    try {
      Map<String, Object> payload = payload(kind, buffer);
      if (payload == null) {
        throw new ProtocolException("malformed " + name + " message: the frame has no table");
      }
      return new Message(kind, payload);
    } catch (RuntimeException e) {
      throw new ProtocolException("malformed " + name + " message: " + e, e);
    }
  }

  /** The fields of the frame's message, as the other codecs give them; null if it has none. */
  private Map<String, Object> payload(int kind, ByteBuffer buffer) {
    Map<String, Object> p = new HashMap<>();
    switch (kind) {
      case Protocol.HELLO:
        if (frame.message(hello) == null) {
          return null;
        }
        p.put("protocol", hello.protocol());
        p.put("token", text(hello.token()));
        p.put("runtime", text(hello.runtime()));
        p.put("runtime_version", text(hello.runtimeVersion()));
        p.put("pid", hello.pid());
        p.put("concurrency", hello.concurrency());
        return p;
      case Protocol.READY:
        return frame.message(ready) == null ? null : p;
      case Protocol.INIT_ERROR:
        if (frame.message(initError) == null) {
          return null;
        }
        p.put("message", text(initError.message()));
        putIfPresent(p, "detail", initError.detail());
        return p;
      case Protocol.EVENT:
        if (frame.message(event) == null) {
          return null;
        }
        p.put("id", event.id());
        Map<String, Object> from = new HashMap<>(4);
        if (event.trigger(trigger) != null) {
          from.put("kind", text(trigger.kind()));
          from.put("name", text(trigger.name()));
        }
        p.put("trigger", from);
        p.put("method", text(event.method()));
        p.put("path", text(event.path()));
        p.put("url", text(event.url()));
        int count = event.queryLength();
        Map<String, Object> query = new LinkedHashMap<>(capacityFor(count));
        for (int i = 0; i < count; i++) {
          event.query(pair, i);
          query.put(text(pair.key()), text(pair.value()));
        }
        p.put("query", query);
        count = event.headersLength();
        Map<String, Object> headers = new LinkedHashMap<>(capacityFor(count));
        for (int i = 0; i < count; i++) {
          event.headers(pair, i);
          headers.put(text(pair.key()), text(pair.value()));
        }
        p.put("headers", headers);
        p.put("content_type", text(event.contentType()));
        // The body's one copy: from a slice of the frame into the array the handler gets.
        p.put("body", copy(event.bodyInByteBuffer(buffer.duplicate())));
        p.put("timestamp", event.timestamp());
        p.put("deadline", event.deadline());
        return p;
      case Protocol.RESPONSE:
        if (frame.message(response) == null) {
          return null;
        }
        p.put("id", response.id());
        p.put("status", response.status());
        count = response.headersLength();
        Map<String, Object> responseHeaders = new LinkedHashMap<>(capacityFor(count));
        for (int i = 0; i < count; i++) {
          response.headers(pair, i);
          responseHeaders.put(text(pair.key()), text(pair.value()));
        }
        p.put("headers", responseHeaders);
        p.put("content_type", text(response.contentType()));
        p.put("body", copy(response.bodyInByteBuffer(buffer.duplicate())));
        putIfPresent(p, "error", response.error());
        return p;
      case Protocol.LOG:
        if (frame.message(log) == null) {
          return null;
        }
        if (log.hasId()) {
          p.put("id", log.id());
        }
        p.put("level", text(log.level()));
        p.put("message", text(log.message()));
        String fields = log.fieldsJson();
        if (fields != null) {
          Object parsed = Json.parse(fields);
          if (!(parsed instanceof Map)) {
            throw new IllegalArgumentException("fields_json is not a JSON object");
          }
          p.put("fields", parsed);
        }
        return p;
      case Protocol.METRIC:
        if (frame.message(metric) == null) {
          return null;
        }
        p.put("name", text(metric.name()));
        p.put("value", metric.value());
        count = metric.labelsLength();
        Map<String, Object> labels = new LinkedHashMap<>(capacityFor(count));
        for (int i = 0; i < count; i++) {
          metric.labels(pair, i);
          labels.put(text(pair.key()), text(pair.value()));
        }
        p.put("labels", labels);
        return p;
      case Protocol.PING:
        if (frame.message(ping) == null) {
          return null;
        }
        p.put("nonce", ping.nonce());
        return p;
      case Protocol.PONG:
        if (frame.message(pong) == null) {
          return null;
        }
        p.put("nonce", pong.nonce());
        return p;
      case Protocol.SHUTDOWN:
        return frame.message(shutdown) == null ? null : p;
      default:
        throw new IllegalStateException("no table for kind " + kind);
    }
  }

  private static String text(String value) {
    return value == null ? "" : value;
  }

  private static void putIfPresent(Map<String, Object> payload, String name, String value) {
    if (value != null) {
      payload.put(name, value);
    }
  }

  /** A map sized for a vector's length, which a corrupt frame could make absurd. */
  private static int capacityFor(int count) {
    return Math.max(4, Math.min(count, 1024) * 2);
  }

  private static byte[] copy(ByteBuffer slice) {
    if (slice == null || !slice.hasRemaining()) {
      return EMPTY;
    }
    byte[] body = new byte[slice.remaining()];
    slice.get(body);
    return body;
  }
}
