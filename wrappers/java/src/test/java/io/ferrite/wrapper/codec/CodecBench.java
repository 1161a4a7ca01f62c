package io.ferrite.wrapper.codec;

import com.sun.management.OperatingSystemMXBean;
import io.ferrite.wrapper.FakeProcessor;
import io.ferrite.wrapper.Protocol;
import io.ferrite.wrapper.Protocol.Message;
import io.ferrite.wrapper.Protocol.ProtocolException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Micro-benchmark of a codec on large bodies, in-process, no sockets; a main class, not a test.
 *
 * <p>Times the two halves of an echo with a body of SIZE bytes: decoding one event frame that
 * arrives 64 KiB at a time (decode is called after each read, as the connection does), and encoding
 * the response that carries the same body back.
 *
 * <pre>
 * cd sdk-java && mvn -q -B test-compile
 * java -cp ../wrappers/java/target/test-classes:../wrappers/java/target/classes:api/target/classes:\
 * $HOME/.m2/repository/com/fasterxml/jackson/core/jackson-core/2.23.0/jackson-core-2.23.0.jar:\
 * $HOME/.m2/repository/com/fasterxml/jackson/jr/jackson-jr-objects/2.23.0/jackson-jr-objects-2.23.0.jar:\
 * $HOME/.m2/repository/org/msgpack/msgpack-core/0.9.12/msgpack-core-0.9.12.jar:\
 * $HOME/.m2/repository/com/google/flatbuffers/flatbuffers-java/2.0.8/flatbuffers-java-2.0.8.jar \
 *   io.ferrite.wrapper.codec.CodecBench [json|msgpack|flatbuffers] [size] [seconds]
 * </pre>
 */
public final class CodecBench {
  private static final int READ = 64 * 1024;

  private static final OperatingSystemMXBean CPU =
      (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  private CodecBench() {}

  public static void main(String[] args) throws ProtocolException {
    String name = args.length > 0 ? args[0] : "json";
    int size = args.length > 1 ? Integer.parseInt(args[1]) : 65536;
    double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 3;

    byte[] body = new byte[size];
    new Random(1).nextBytes(body);
    FrameBuffer frameOut = new FrameBuffer();
    Codec.named(name).encode(FakeProcessor.event(1, "POST", "/", "", body), frameOut);
    byte[] frame = Arrays.copyOf(frameOut.array(), frameOut.size());
    Message response = Protocol.response(1L, 200, Map.of(), "application/octet-stream", body);

    Codec codec = Codec.named(name);
    FrameBuffer out = new FrameBuffer();
    List<Message> messages = new ArrayList<>();
    Runnable decode =
        () -> {
          messages.clear();
          int used = 0;
          try {
            for (int end = Math.min(READ, frame.length);
                ;
                end = Math.min(end + READ, frame.length)) {
              used += codec.decode(frame, used, end, messages);
              if (end == frame.length) {
                break;
              }
            }
          } catch (ProtocolException e) {
            throw new IllegalStateException(e);
          }
          byte[] decoded = (byte[]) messages.get(0).payload().get("body");
          if (used != frame.length || decoded.length != size) {
            throw new IllegalStateException("the event did not decode");
          }
        };
    Runnable encode =
        () -> {
          out.reset();
          try {
            codec.encode(response, out);
          } catch (ProtocolException e) {
            throw new IllegalStateException(e);
          }
        };
    // Warm up both, so the JIT has compiled them before either is timed.
    time(decode, seconds / 2);
    time(encode, seconds / 2);
    double decodeMicros = time(decode, seconds);
    double encodeMicros = time(encode, seconds);
    System.out.printf(
        "%s %d B (frame %d B), CPU µs: decode %.1f, encode %.1f, both %.1f (%d/s)%n",
        name,
        size,
        frame.length,
        decodeMicros,
        encodeMicros,
        decodeMicros + encodeMicros,
        Math.round(1e6 / (decodeMicros + encodeMicros)));
  }

  /**
   * Runs {@code step} for about {@code seconds}; the mean CPU time of this process per run, in µs.
   * CPU time rather than wall time, so that other work on a busy machine counts less; the garbage
   * collector's and the JIT's threads count, as they do in a worker.
   */
  private static double time(Runnable step, double seconds) {
    long budget = (long) (seconds * 1e9);
    long started = System.nanoTime();
    long cpuStarted = CPU.getProcessCpuTime();
    long runs = 0;
    do {
      step.run();
      runs++;
    } while (System.nanoTime() - started < budget);
    return (CPU.getProcessCpuTime() - cpuStarted) / 1e3 / runs;
  }
}
