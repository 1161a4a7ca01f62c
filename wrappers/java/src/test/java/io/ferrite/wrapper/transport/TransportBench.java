package io.ferrite.wrapper.transport;

import com.sun.management.OperatingSystemMXBean;
import io.ferrite.wrapper.FakeProcessor;
import java.io.IOException;
import java.lang.management.ManagementFactory;

/**
 * Micro-benchmark of a transport's round trip, in-process; a main class, not a test.
 *
 * <p>The wrapper's end writes SIZE bytes, the processor's end (another thread, over the same
 * transport, shm's with the same Java rings) reads them and writes them back, one at a time: the
 * two crossings of an event and its response, without codecs. Prints round trips per second and
 * this process's CPU time per round trip (both ends' work, since both are in this JVM).
 *
 * <pre>
 * cd sdk-java && mvn -q -B test-compile
 * java -cp ../wrappers/java/target/test-classes:../wrappers/java/target/classes \
 *   io.ferrite.wrapper.transport.TransportBench [unix|tcp|shm] [size] [seconds]
 * </pre>
 */
public final class TransportBench {
  private static final OperatingSystemMXBean CPU =
      (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  private TransportBench() {}

  public static void main(String[] args) throws Exception {
    String name = args.length > 0 ? args[0] : "shm";
    int size = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 5;
    try (FakeProcessor processor = FakeProcessor.listen(name, "msgpack");
        Transport wrapper = Transport.connect(name, processor.target());
        Transport processorEnd = processor.acceptTransport()) {
      Thread echo =
          new Thread(
              () -> {
                byte[] buffer = new byte[size];
                try {
                  while (readFully(processorEnd, buffer)) {
                    processorEnd.write(buffer, 0, size);
                  }
                } catch (IOException e) {
                  // The bench closed its end.
                }
              },
              "echo");
      echo.setDaemon(true);
      echo.start();
      byte[] out = new byte[size];
      byte[] in = new byte[size];
      // Warm up the JIT, then measure.
      roundTrips(wrapper, out, in, System.nanoTime() + 2_000_000_000L);
      long cpu = CPU.getProcessCpuTime();
      long start = System.nanoTime();
      long count = roundTrips(wrapper, out, in, start + (long) (seconds * 1e9));
      long wall = System.nanoTime() - start;
      long used = CPU.getProcessCpuTime() - cpu;
      System.out.printf(
          "%s %d B: %.0f round trips/s, %.1f µs each, %.1f µs CPU each%n",
          name, size, count / (wall / 1e9), wall / 1e3 / count, used / 1e3 / count);
    }
  }

  private static long roundTrips(Transport wrapper, byte[] out, byte[] in, long until)
      throws IOException {
    long count = 0;
    do {
      wrapper.write(out, 0, out.length);
      if (!readFully(wrapper, in)) {
        throw new IOException("the echo ended");
      }
      count++;
    } while (System.nanoTime() < until);
    return count;
  }

  private static boolean readFully(Transport transport, byte[] into) throws IOException {
    int at = 0;
    while (at < into.length) {
      int read = transport.read(into, at, into.length - at);
      if (read < 0) {
        return false;
      }
      at += read;
    }
    return true;
  }
}
