package io.ferrite.wrapper;

import io.ferrite.wrapper.Protocol.ProtocolException;
import io.ferrite.wrapper.codec.Codec;
import io.ferrite.wrapper.transport.Transport;
import java.io.IOException;
import java.util.Map;

/**
 * ferrite's Java wrapper: runs one worker of a Java function.
 *
 * <p>The processor starts it as {@code java -cp ferrite-wrapper.jar:<function classes>
 * io.ferrite.wrapper.Main} in the function directory, with the {@code FERRITE_*} variables of
 * {@code schemas/PROTOCOL.md} set. {@code --train} instead runs a few conversations with a
 * processor inside this JVM, so that {@code -XX:ArchiveClassesAtExit} records the classes a worker
 * uses (see {@link Training}).
 */
public final class Main {
  private Main() {}

  /**
   * Runs a wrapper configured by {@code FERRITE_*} variables and exits with its status.
   *
   * @param args empty, or {@code --train}
   */
  public static void main(String[] args) {
    int status;
    if (args.length > 0 && args[0].equals("--train")) {
      status = Training.run();
    } else {
      status = run(System.getenv());
    }
    // Exit even if the handler left threads of its own running.
    System.exit(status);
  }

  /** The wrapper's work; the exit status. */
  static int run(Map<String, String> env) {
    Config config;
    try {
      config = Config.fromEnv(env);
    } catch (IllegalArgumentException e) {
      complain(e.getMessage());
      return 1;
    }
    String protocol = env.get("FERRITE_PROTOCOL");
    if (protocol != null
        && !protocol.isEmpty()
        && !protocol.equals(Integer.toString(Protocol.VERSION))) {
      // Not fatal here: hello says which version this is, and the processor decides.
      complain("the processor speaks protocol " + protocol + ", this wrapper " + Protocol.VERSION);
    }
    Transport transport;
    try {
      transport = Transport.connect(config.transport(), config.target());
    } catch (IOException | RuntimeException e) {
      complain("cannot connect to " + config.transport() + " " + config.address() + ": " + e);
      return 1;
    }
    try (Connection conn = new Connection(transport, Codec.named(config.codec()))) {
      return new Worker(conn, config).run();
    } catch (ProtocolException e) {
      complain("protocol error, stopping: " + e.getMessage());
      return 1;
    } catch (IOException e) {
      complain("connection to the processor lost: " + e.getMessage());
      return 0;
    }
  }

  static void complain(String message) {
    System.err.println("ferrite java wrapper: " + message);
  }
}
