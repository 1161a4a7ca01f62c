package io.ferrite;

import java.util.Arrays;
import java.util.IllegalFormatException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link Logger} that hands each line at or above its level to a {@link Sink}. Lines below the
 * level are dropped before any formatting, so a disabled {@code debug} costs one comparison.
 *
 * <p>In a wrapper the sink sends a {@code log} message to the processor; {@link #toStderr} prints
 * lines instead, for a handler's own tests.
 */
public final class StructuredLogger implements Logger {
  /** Where lines go. */
  @FunctionalInterface
  public interface Sink {
    /**
     * Takes one line.
     *
     * @param level its level
     * @param message the formatted message
     * @param fields its structured fields, JSON-like ({@link Json#plain}); {@code null} when there
     *     are none
     */
    void log(Level level, String message, Map<String, Object> fields);
  }

  private final int min;
  private final Sink sink;

  /**
   * A logger.
   *
   * @param level the lowest level sent to the sink
   * @param sink where lines go
   */
  public StructuredLogger(Level level, Sink sink) {
    this.min = level.ordinal();
    this.sink = Objects.requireNonNull(sink, "sink");
  }

  /**
   * A logger that prints {@code [level] message {fields}} lines to stderr.
   *
   * @param level the lowest level printed
   * @return the logger
   */
  public static StructuredLogger toStderr(Level level) {
    return new StructuredLogger(
        level,
        (lineLevel, message, fields) ->
            System.err.println(
                "["
                    + lineLevel.wireName()
                    + "] "
                    + message
                    + (fields == null ? "" : " " + Json.stringify(fields))));
  }

  /**
   * Whether a line at {@code level} would be sent, to skip costly arguments.
   *
   * @param level the level
   * @return true when sent
   */
  public boolean isEnabled(Level level) {
    return level.ordinal() >= min;
  }

  @Override
  public void error(String format, Object... args) {
    plain(Level.ERROR, format, args);
  }

  @Override
  public void warn(String format, Object... args) {
    plain(Level.WARN, format, args);
  }

  @Override
  public void info(String format, Object... args) {
    plain(Level.INFO, format, args);
  }

  @Override
  public void debug(String format, Object... args) {
    plain(Level.DEBUG, format, args);
  }

  @Override
  public void errorWith(String format, Object... vars) {
    structured(Level.ERROR, format, vars);
  }

  @Override
  public void warnWith(String format, Object... vars) {
    structured(Level.WARN, format, vars);
  }

  @Override
  public void infoWith(String format, Object... vars) {
    structured(Level.INFO, format, vars);
  }

  @Override
  public void debugWith(String format, Object... vars) {
    structured(Level.DEBUG, format, vars);
  }

  private void plain(Level level, String format, Object[] args) {
    if (level.ordinal() >= min) {
      sink.log(level, format(format, args), null);
    }
  }

  private void structured(Level level, String message, Object[] vars) {
    if (level.ordinal() >= min) {
      sink.log(level, String.valueOf(message), fields(vars));
    }
  }

  /** The message, formatted when there are arguments; a bad pattern never breaks a handler. */
  static String format(String format, Object[] args) {
    if (format == null) {
      format = "null";
    }
    if (args == null || args.length == 0) {
      return format;
    }
    try {
      return String.format(Locale.ROOT, format, args);
    } catch (IllegalFormatException e) {
      return format + " " + Arrays.deepToString(args);
    }
  }

  /** Alternating names and values as a map; a name without a value gets {@code null}. */
  static Map<String, Object> fields(Object[] vars) {
    if (vars == null || vars.length == 0) {
      return null;
    }
    Map<String, Object> fields = new LinkedHashMap<>();
    for (int i = 0; i < vars.length; i += 2) {
      Object value = i + 1 < vars.length ? vars[i + 1] : null;
      fields.put(String.valueOf(vars[i]), Json.plain(value));
    }
    return fields;
  }
}
