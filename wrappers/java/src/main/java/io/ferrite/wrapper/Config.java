package io.ferrite.wrapper;

import io.ferrite.Level;
import io.ferrite.wrapper.codec.Codec;
import io.ferrite.wrapper.transport.Transport;
import java.util.Map;

/**
 * What the processor tells a wrapper through {@code FERRITE_*} variables.
 *
 * @param transport a name in {@link Transport#ALL}
 * @param address the socket's path, or {@code 127.0.0.1:PORT}
 * @param shmPath shm only: the segment's path
 * @param spinMicros shm only: how long a ring is re-checked before its side sleeps
 * @param codec a name in {@link Codec#ALL}
 * @param token echoed in hello
 * @param handler the handler class's name
 * @param functionDir the function directory
 * @param functionName the function's name
 * @param workerId this worker's index
 * @param logLevel the lowest level worth sending
 * @param concurrency how many events run at once: 1 runs them in order on the reading thread
 */
record Config(
    String transport,
    String address,
    String shmPath,
    int spinMicros,
    String codec,
    String token,
    String handler,
    String functionDir,
    String functionName,
    int workerId,
    Level logLevel,
    int concurrency) {

  /** Events one worker may run at once at most, as for {@code spec.wire.concurrency}. */
  static final int MAX_CONCURRENCY = 4096;

  /** A second: spinning longer than that before sleeping is a misconfiguration. */
  static final int MAX_SPIN_MICROS = 1_000_000;

  /**
   * Reads the variables.
   *
   * @throws IllegalArgumentException naming the variable missing or wrong
   */
  static Config fromEnv(Map<String, String> env) {
    String address = env.getOrDefault("FERRITE_ADDRESS", "");
    if (address.isEmpty()) {
      throw new IllegalArgumentException("FERRITE_ADDRESS is not set");
    }
    String transport = orDefault(env.get("FERRITE_TRANSPORT"), "unix");
    if (!Transport.ALL.containsKey(transport)) {
      throw new IllegalArgumentException(
          "FERRITE_TRANSPORT=\"" + transport + "\" is not one of " + Transport.names());
    }
    String shmPath = env.getOrDefault("FERRITE_SHM_PATH", "");
    if (transport.equals("shm") && shmPath.isEmpty()) {
      throw new IllegalArgumentException("FERRITE_SHM_PATH is not set (FERRITE_TRANSPORT=shm)");
    }
    int spinMicros = number(env, "FERRITE_SPIN_MICROS", 0, 0, MAX_SPIN_MICROS);
    String codec = orDefault(env.get("FERRITE_CODEC"), "msgpack");
    if (!Codec.ALL.containsKey(codec)) {
      throw new IllegalArgumentException(
          "FERRITE_CODEC=\"" + codec + "\" is not one of " + Codec.names());
    }
    int workerId = number(env, "FERRITE_WORKER_ID", 0, 0, Integer.MAX_VALUE);
    Level level;
    try {
      level = Level.parse(orDefault(env.get("FERRITE_LOG_LEVEL"), "info"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("FERRITE_LOG_LEVEL: " + e.getMessage());
    }
    int concurrency = number(env, "FERRITE_CONCURRENCY", 1, 1, MAX_CONCURRENCY);
    return new Config(
        transport,
        address,
        shmPath,
        spinMicros,
        codec,
        env.getOrDefault("FERRITE_TOKEN", ""),
        env.getOrDefault("FERRITE_HANDLER", "").trim(),
        orDefault(env.get("FERRITE_FUNCTION_DIR"), System.getProperty("user.dir")),
        env.getOrDefault("FERRITE_FUNCTION_NAME", ""),
        workerId,
        level,
        concurrency);
  }

  /** Where the transport connects. */
  Transport.Target target() {
    return new Transport.Target(address, shmPath, spinMicros);
  }

  private static String orDefault(String value, String fallback) {
    return value == null || value.isEmpty() ? fallback : value;
  }

  private static int number(Map<String, String> env, String name, int fallback, int min, int max) {
    String text = env.get(name);
    if (text == null || text.isEmpty()) {
      return fallback;
    }
    try {
      int value = Integer.parseInt(text.trim());
      if (value >= min && value <= max) {
        return value;
      }
    } catch (NumberFormatException e) {
      // Reported below.
    }
    throw new IllegalArgumentException(
        name + "=\"" + text + "\" is not a number from " + min + " to " + max);
  }
}
