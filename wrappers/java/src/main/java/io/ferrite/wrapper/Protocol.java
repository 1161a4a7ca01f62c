package io.ferrite.wrapper;

import java.util.Map;

/** The ferrite wire protocol, version 1 ({@code schemas/PROTOCOL.md}): kinds and limits. */
final class Protocol {
  static final int VERSION = 1;

  /** The largest frame either side may send (msgpack: the length field; json: the line). */
  static final int MAX_FRAME_LEN = 256 * 1024 * 1024;

  static final int HELLO = 1;
  static final int READY = 2;
  static final int INIT_ERROR = 3;
  static final int EVENT = 4;
  static final int RESPONSE = 5;
  static final int LOG = 6;
  static final int METRIC = 7;
  static final int PING = 8;
  static final int PONG = 9;
  static final int SHUTDOWN = 10;

  private static final String[] NAMES = {
    null,
    "hello",
    "ready",
    "init_error",
    "event",
    "response",
    "log",
    "metric",
    "ping",
    "pong",
    "shutdown"
  };

  private Protocol() {}

  /** The kind's name, the json codec's {@code "kind"} value; null for an unknown kind. */
  static String name(int kind) {
    return kind > 0 && kind < NAMES.length ? NAMES[kind] : null;
  }

  /** The kind a name stands for, or 0. */
  static int kind(String name) {
    for (int kind = 1; kind < NAMES.length; kind++) {
      if (NAMES[kind].equals(name)) {
        return kind;
      }
    }
    return 0;
  }

  /** Whether the kind has a {@code bin} field, {@code body} (json carries it as base64). */
  static boolean hasBody(int kind) {
    return kind == EVENT || kind == RESPONSE;
  }

  /** One message: its kind and its fields. */
  record Message(int kind, Map<String, Object> payload) {}

  /** The bytes cannot be read as protocol messages; the connection is unusable. */
  static final class ProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    ProtocolException(String message) {
      super(message);
    }

    ProtocolException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  static ProtocolException frameTooLarge(long size) {
    return new ProtocolException(
        "frame of " + size + " bytes is over the " + MAX_FRAME_LEN + "-byte limit");
  }
}
