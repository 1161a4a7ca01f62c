package io.ferrite.wrapper.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.wrapper.FakeProcessor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Written once, run for every transport, over real sockets. */
@Timeout(30)
class TransportTest {
  static Iterable<String> names() {
    return Transport.ALL.keySet();
  }

  /** Reads exactly {@code into.length} bytes, however the reads split them. */
  private static void readFully(Transport transport, byte[] into) throws IOException {
    int at = 0;
    while (at < into.length) {
      int count = transport.read(into, at, into.length - at);
      if (count < 0) {
        throw new IOException("the stream ended after " + at + " of " + into.length + " bytes");
      }
      at += count;
    }
  }

  @ParameterizedTest
  @MethodSource("names")
  void bytesCrossBothWaysAndTheEndIsSeen(String name) throws Exception {
    byte[] up = new byte[3 * 1024 * 1024 + 5];
    byte[] down = new byte[70_000];
    new Random(1).nextBytes(up);
    new Random(2).nextBytes(down);
    try (FakeProcessor processor = FakeProcessor.listen(name, "msgpack");
        Transport wrapper = Transport.connect(name, processor.target());
        Transport processorEnd = processor.acceptTransport()) {
      // More than a socket buffer holds: the writer blocks until the reader drains it.
      CompletableFuture<Void> writing =
          CompletableFuture.runAsync(
              () -> {
                try {
                  wrapper.write(up, 0, up.length);
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
              });
      byte[] received = new byte[up.length];
      readFully(processorEnd, received);
      writing.join();
      assertArrayEquals(up, received);

      processorEnd.write(down, 0, down.length);
      byte[] back = new byte[down.length + 2];
      back[0] = 7;
      // An offset into the caller's array is honoured.
      int at = 1;
      while (at < down.length + 1) {
        at += wrapper.read(back, at, down.length + 1 - at);
      }
      assertEquals(7, back[0]);
      assertArrayEquals(down, java.util.Arrays.copyOfRange(back, 1, down.length + 1));

      processorEnd.close();
      assertEquals(-1, wrapper.read(back, 0, back.length));
    }
  }

  @Test
  void anUnknownNameListsTheKnownOnes() {
    IllegalArgumentException error =
        assertThrows(IllegalArgumentException.class, () -> Transport.connect("pigeon", "x"));
    assertEquals(
        "unknown transport \"pigeon\": expected one of shm, tcp, unix", error.getMessage());
  }

  @Test
  void nothingListeningIsAnIoError() throws Exception {
    Path dir = Files.createTempDirectory("ferrite-transport-");
    try {
      assertThrows(
          IOException.class, () -> Transport.connect("unix", dir.resolve("none.sock").toString()));
    } finally {
      Files.delete(dir);
    }
    int port;
    try (ServerSocketChannel closed = ServerSocketChannel.open()) {
      closed.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      port = ((InetSocketAddress) closed.getLocalAddress()).getPort();
    }
    assertThrows(IOException.class, () -> Transport.connect("tcp", "127.0.0.1:" + port));
  }

  @Test
  void aTcpAddressMustBeHostAndPort() {
    for (String bad : new String[] {"8080", "localhost:", "localhost:http", "[::1]:70000"}) {
      IllegalArgumentException error =
          assertThrows(IllegalArgumentException.class, () -> Transport.connect("tcp", bad), bad);
      assertTrue(error.getMessage().contains("is not HOST:PORT"), error.getMessage());
    }
  }
}
