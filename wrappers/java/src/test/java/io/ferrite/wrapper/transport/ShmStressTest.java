package io.ferrite.wrapper.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The shm transport as the wrapper side of an exchange of checked test frames with the Rust {@code
 * ring-peer} ({@code schemas/PROTOCOL.md}, "shm"): this side writes its frames from one thread and
 * reads and checks the peer's on another, as the worker and a handler's thread may, both with
 * random pauses so that each side sleeps and is woken. {@code FERRITE_RING_STRESS_FRAMES} frames
 * each way (20,000 unless set; 1000000 is the full run).
 */
class ShmStressTest {
  private static final int HEADER = 16;

  /** How long no byte may move before the test calls it a hang. */
  private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(30);

  private static long frameCount() {
    String text = System.getenv("FERRITE_RING_STRESS_FRAMES");
    return text == null || text.isEmpty() ? 20_000 : Long.parseLong(text.trim());
  }

  /** {@code FERRITE_RING_PEER}, else the newer of cargo's release and debug builds, else null. */
  private static Path ringPeer() throws IOException {
    String given = System.getenv("FERRITE_RING_PEER");
    if (given != null && !given.isEmpty()) {
      return Path.of(given);
    }
    for (Path at = Path.of("").toAbsolutePath(); at != null; at = at.getParent()) {
      if (Files.isRegularFile(at.resolve("schemas/shm-layout.json"))) {
        Path newest = null;
        for (String profile : new String[] {"release", "debug"}) {
          Path peer = at.resolve("target").resolve(profile).resolve("ring-peer");
          if (Files.isExecutable(peer)
              && (newest == null
                  || Files.getLastModifiedTime(peer).compareTo(Files.getLastModifiedTime(newest))
                      > 0)) {
            newest = peer;
          }
        }
        return newest;
      }
    }
    return null;
  }

  /**
   * FNV-1a, 32 bits: the test frame's checksum.
   *
   * @return the hash, as the u32's bits
   */
  static int fnv1a32(byte[] bytes, int offset, int length) {
    int hash = 0x811c9dc5;
    for (int i = offset; i < offset + length; i++) {
      hash = (hash ^ (bytes[i] & 0xff)) * 0x01000193;
    }
    return hash;
  }

  @Test
  void fnv1a32IsTheStandardOne() {
    assertEquals(0x811c9dc5, fnv1a32(new byte[0], 0, 0));
    assertEquals(0xe40c292c, fnv1a32(new byte[] {'a'}, 0, 1));
    byte[] foobar = "foobar".getBytes(StandardCharsets.US_ASCII);
    assertEquals(0xbf9cf968, fnv1a32(foobar, 0, foobar.length));
  }

  /**
   * Small rings, so frames (up to twice the capacity) wrap and fill them often: 1 KiB with a spin
   * of 20 µs, and the smallest ring without spinning, where this side's reader and writer sleep on
   * the one doorbell at once most often.
   */
  @ParameterizedTest(name = "capacity {0}, spin {1} µs")
  @CsvSource({"1024,20", "64,0"})
  void exchangesCheckedFramesWithTheRustPeer(int capacity, int spinMicros) throws Exception {
    Path peerPath = ringPeer();
    Assumptions.assumeTrue(
        peerPath != null,
        "ring-peer is not built: `cargo build -p ferrite-ring --bins` builds it"
            + " (scripts/test does, before these tests)");
    long frames = frameCount();
    Path devShm = Path.of("/dev/shm");
    Path dir =
        Files.isDirectory(devShm) && Files.isWritable(devShm)
            ? Files.createTempDirectory(devShm, "ferrite-java-stress-")
            : Files.createTempDirectory("ferrite-java-stress-");
    Process peer =
        new ProcessBuilder(
                peerPath.toString(),
                "--dir",
                dir.toString(),
                "--capacity",
                Integer.toString(capacity),
                "--frames",
                Long.toString(frames),
                "--seed",
                "7",
                "--pause-every",
                "32")
            .redirectError(ProcessBuilder.Redirect.PIPE)
            .start();
    CompletableFuture<String> stderr =
        CompletableFuture.supplyAsync(() -> readAll(peer.getErrorStream()));
    try {
      BufferedReader stdout =
          new BufferedReader(new InputStreamReader(peer.getInputStream(), StandardCharsets.UTF_8));
      String line = stdout.readLine();
      String[] ready = line == null ? new String[0] : line.split(" ");
      if (ready.length != 3 || !ready[0].equals("ready")) {
        fail("ring-peer's first line is not `ready SEGMENT SOCKET`: " + line + "; " + stderr.get());
      }
      long start = System.nanoTime();
      Exchange exchange = new Exchange(frames, capacity);
      try (Transport transport =
          Transport.connect("shm", new Transport.Target(ready[2], ready[1], spinMicros))) {
        exchange.run(transport, peer::destroy);
      }
      assertTrue(peer.waitFor(60, TimeUnit.SECONDS), "ring-peer did not exit");
      String said = stdout.readLine();
      assertEquals(0, peer.exitValue(), "ring-peer failed: " + stderr.get());
      if (exchange.failure.get() != null) {
        throw new AssertionError("this side failed", exchange.failure.get());
      }
      assertEquals("ok " + frames + " " + frames, said);
      assertEquals(frames, exchange.received);
      System.out.printf(
          "shm stress: %d frames each way with ring-peer through %d-byte rings, spin %d µs, in"
              + " %.1f s (%d MB each way)%n",
          frames,
          capacity,
          spinMicros,
          (System.nanoTime() - start) / 1e9,
          exchange.bytesReceived / 1_000_000);
    } finally {
      peer.destroyForcibly();
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path file : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
          Files.deleteIfExists(file);
        }
      }
    }
  }

  private static String readAll(java.io.InputStream stream) {
    try {
      return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(stderr unreadable: " + e + ")";
    }
  }

  /** This side of the exchange: a writer thread and a reader thread over one transport. */
  private static final class Exchange {
    private final long frames;
    private final int capacity;
    private final AtomicLong progress = new AtomicLong();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    volatile long received;
    volatile long bytesReceived;

    Exchange(long frames, int capacity) {
      this.frames = frames;
      this.capacity = capacity;
    }

    /** Runs both threads to the end; stops the peer on a failure or a stall. */
    void run(Transport transport, Runnable stopPeer) throws InterruptedException {
      Thread writer = new Thread(() -> guard(() -> write(transport)), "stress-writer");
      Thread reader = new Thread(() -> guard(() -> read(transport)), "stress-reader");
      writer.start();
      reader.start();
      long last = -1;
      long still = System.nanoTime();
      boolean stopped = false;
      while (writer.isAlive() || reader.isAlive()) {
        (writer.isAlive() ? writer : reader).join(50);
        long now = progress.get();
        if (now != last) {
          last = now;
          still = System.nanoTime();
        }
        if (!stopped && (failure.get() != null || System.nanoTime() - still > STALL_NANOS)) {
          failure.compareAndSet(
              null, new IllegalStateException("hang: no byte moved for 30 s (" + now + " moved)"));
          stopped = true;
          // The peer's end closes its doorbell: a thread asleep on it wakes and fails.
          stopPeer.run();
        }
      }
    }

    private interface Side {
      void run() throws Exception;
    }

    private void guard(Side side) {
      try {
        side.run();
      } catch (Throwable e) {
        failure.compareAndSet(null, e);
      }
    }

    private void write(Transport transport) throws IOException {
      Random rng = new Random(11);
      // Payloads are slices of one random pool: any bytes do, and this keeps the test's own cost
      // low beside the rings'.
      byte[] pool = new byte[4 * capacity];
      rng.nextBytes(pool);
      byte[] frame = new byte[HEADER + 2 * capacity];
      ByteBuffer header = ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN);
      for (long seq = 0; seq < frames; seq++) {
        int length = rng.nextInt(2 * capacity + 1);
        int from = rng.nextInt(pool.length - length + 1);
        header.putInt(0, length).putLong(4, seq).putInt(12, fnv1a32(pool, from, length));
        System.arraycopy(pool, from, frame, HEADER, length);
        transport.write(frame, 0, HEADER + length);
        progress.addAndGet(HEADER + length);
        pause(rng);
      }
    }

    private void read(Transport transport) throws IOException {
      Random rng = new Random(13);
      byte[] buffer = new byte[1 << 16];
      ByteBuffer view = ByteBuffer.wrap(buffer).order(ByteOrder.LITTLE_ENDIAN);
      int start = 0;
      int end = 0;
      long expected = 0;
      long bytes = 0;
      while (expected < frames) {
        if (start > 0 && buffer.length - end < HEADER + 2 * capacity) {
          System.arraycopy(buffer, start, buffer, 0, end - start);
          end -= start;
          start = 0;
        }
        int read = transport.read(buffer, end, buffer.length - end);
        if (read < 0) {
          throw new IOException("the peer closed its doorbell after " + expected + " frames");
        }
        end += read;
        bytes += read;
        progress.addAndGet(read);
        while (end - start >= HEADER) {
          long length = Integer.toUnsignedLong(view.getInt(start));
          if (length > 2 * capacity) {
            throw new IOException("frame " + expected + " is torn: its length says " + length);
          }
          if (end - start < HEADER + length) {
            break;
          }
          long seq = view.getLong(start + 4);
          if (seq != expected) {
            throw new IOException(
                "frame " + expected + " lost or reordered: frame " + seq + " came in its place");
          }
          if (fnv1a32(buffer, start + HEADER, (int) length) != view.getInt(start + 12)) {
            throw new IOException("frame " + expected + " has a bad checksum");
          }
          start += HEADER + (int) length;
          expected++;
        }
        received = expected;
        bytesReceived = bytes;
        pause(rng);
      }
      if (end != start) {
        throw new IOException((end - start) + " bytes came after the last frame");
      }
    }

    /** After one turn in 32, stop for up to 150 µs, so that the peer runs dry or fills a ring. */
    private static void pause(Random rng) {
      if (rng.nextInt(32) != 0) {
        return;
      }
      long until = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(rng.nextInt(150));
      while (System.nanoTime() < until) {
        Thread.onSpinWait();
      }
    }
  }
}
