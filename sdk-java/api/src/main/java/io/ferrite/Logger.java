package io.ferrite;

/**
 * nuclio's {@code io.nuclio.Logger}: plain lines with {@link String#format} arguments, and
 * structured lines whose arguments are alternating field names and values.
 *
 * <pre>{@code
 * logger.info("event with %d bytes", event.getBody().length);
 * logger.infoWith("event processed", "time", 0.3, "count", 9009);
 * }</pre>
 *
 * <p>Field values are sent as JSON-like data: text, numbers, booleans, null, maps and lists of
 * them; anything else as its {@code toString()}.
 */
public interface Logger {
  /**
   * Logs an error.
   *
   * @param format the message, a {@link String#format} pattern when {@code args} are given
   * @param args its arguments
   */
  void error(String format, Object... args);

  /**
   * Logs a warning.
   *
   * @param format the message, a {@link String#format} pattern when {@code args} are given
   * @param args its arguments
   */
  void warn(String format, Object... args);

  /**
   * Logs information.
   *
   * @param format the message, a {@link String#format} pattern when {@code args} are given
   * @param args its arguments
   */
  void info(String format, Object... args);

  /**
   * Logs a debugging detail.
   *
   * @param format the message, a {@link String#format} pattern when {@code args} are given
   * @param args its arguments
   */
  void debug(String format, Object... args);

  /**
   * Logs a structured error: {@code errorWith("bad request", "error", "not found", "time", 7)}.
   *
   * @param format the message
   * @param vars field names and values, alternating
   */
  void errorWith(String format, Object... vars);

  /**
   * Logs a structured warning.
   *
   * @param format the message
   * @param vars field names and values, alternating
   */
  void warnWith(String format, Object... vars);

  /**
   * Logs structured information.
   *
   * @param format the message
   * @param vars field names and values, alternating
   */
  void infoWith(String format, Object... vars);

  /**
   * Logs a structured debugging detail.
   *
   * @param format the message
   * @param vars field names and values, alternating
   */
  void debugWith(String format, Object... vars);
}
