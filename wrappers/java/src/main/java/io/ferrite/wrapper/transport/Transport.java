package io.ferrite.wrapper.transport;

import java.io.Closeable;
import java.io.IOException;
import java.util.Map;
import java.util.TreeSet;

/**
 * The byte stream between a wrapper and the processor: it knows nothing of frames or codecs. Reads
 * and writes may run at once on different threads, but each on one thread at a time.
 */
public interface Transport extends Closeable {
  /**
   * Reads what has arrived into {@code into[offset, offset + length)}, blocking until at least one
   * byte has.
   *
   * @param into where to
   * @param offset the first byte to fill
   * @param length how many bytes at most
   * @return how many bytes were read; -1 at the end of the stream
   * @throws IOException if the stream broke
   */
  int read(byte[] into, int offset, int length) throws IOException;

  /**
   * Writes all of {@code from[offset, offset + length)}.
   *
   * @param from the bytes
   * @param offset the first byte to write
   * @param length how many
   * @throws IOException if the stream broke
   */
  void write(byte[] from, int offset, int length) throws IOException;

  /**
   * Where a transport connects: the {@code FERRITE_*} variables that say so.
   *
   * @param address {@code FERRITE_ADDRESS}: a socket's path, or {@code HOST:PORT}
   * @param shmPath {@code FERRITE_SHM_PATH}: shm's segment, else empty
   * @param spinMicros {@code FERRITE_SPIN_MICROS}: how long shm re-checks a ring before it sleeps
   */
  record Target(String address, String shmPath, int spinMicros) {
    /**
     * An address alone, for the socket transports.
     *
     * @param address {@code FERRITE_ADDRESS}
     * @return the target
     */
    public static Target of(String address) {
      return new Target(address, "", 0);
    }
  }

  /** Connects to the processor at a target, in the form its transport's name implies. */
  @FunctionalInterface
  interface Connector {
    /**
     * Connects.
     *
     * @param target where
     * @return the connected transport
     * @throws IOException if the processor cannot be reached
     */
    Transport connect(Target target) throws IOException;
  }

  /** Every transport, by the name {@code FERRITE_TRANSPORT} gives it: one line each. */
  Map<String, Connector> ALL =
      Map.of(
          "unix", target -> UnixTransport.connect(target.address()),
          "tcp", target -> TcpTransport.connect(target.address()),
          "shm", ShmTransport::connect);

  /**
   * The names of every transport, for messages.
   *
   * @return e.g. {@code "tcp, unix"}
   */
  static String names() {
    return String.join(", ", new TreeSet<>(ALL.keySet()));
  }

  /**
   * Connects to the processor.
   *
   * @param name {@code FERRITE_TRANSPORT}
   * @param target where
   * @return the connected transport
   * @throws IllegalArgumentException for an unknown transport, or an address not of its form
   * @throws IOException if the processor cannot be reached
   */
  static Transport connect(String name, Target target) throws IOException {
    Connector connector = ALL.get(name);
    if (connector == null) {
      throw new IllegalArgumentException(
          "unknown transport \"" + name + "\": expected one of " + names());
    }
    return connector.connect(target);
  }

  /**
   * Connects a transport that needs only an address.
   *
   * @param name {@code FERRITE_TRANSPORT}
   * @param address {@code FERRITE_ADDRESS}
   * @return the connected transport
   * @throws IllegalArgumentException for an unknown transport, or an address not of its form
   * @throws IOException if the processor cannot be reached
   */
  static Transport connect(String name, String address) throws IOException {
    return connect(name, Target.of(address));
  }
}
