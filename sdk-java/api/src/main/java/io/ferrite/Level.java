package io.ferrite;

import java.util.Locale;

/** Log levels, lowest first, named as on the wire. */
public enum Level {
  /** Details for debugging. */
  DEBUG("debug"),
  /** Normal operation. */
  INFO("info"),
  /** Something unexpected that was handled. */
  WARN("warn"),
  /** A failure. */
  ERROR("error");

  private final String wireName;

  Level(String wireName) {
    this.wireName = wireName;
  }

  /**
   * The level's name in a {@code log} message and in {@code FERRITE_LOG_LEVEL}.
   *
   * @return {@code debug}, {@code info}, {@code warn} or {@code error}
   */
  public String wireName() {
    return wireName;
  }

  /**
   * The level a name such as {@code FERRITE_LOG_LEVEL}'s stands for; {@code warning}, {@code err}
   * and {@code trace} are accepted too.
   *
   * @param name the name, in any case
   * @return the level
   * @throws IllegalArgumentException for an unknown name
   */
  public static Level parse(String name) {
    switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "debug":
      case "trace":
        return DEBUG;
      case "info":
        return INFO;
      case "warn":
      case "warning":
        return WARN;
      case "error":
      case "err":
        return ERROR;
      default:
        throw new IllegalArgumentException(
            "unknown log level \"" + name + "\": expected one of debug, info, warn, error");
    }
  }
}
