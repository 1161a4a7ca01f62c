package io.ferrite.wrapper;

import java.util.HashMap;
import java.util.Map;

/** The ferrite wire protocol, version 1 ({@code schemas/PROTOCOL.md}): kinds and limits. */
public final class Protocol {
  public static final int VERSION = 1;

  /**
   * The largest frame either side may send (msgpack, flatbuffers: the length field; json: the
   * line).
   */
  public static final int MAX_FRAME_LEN = 256 * 1024 * 1024;

  public static final int HELLO = 1;
  public static final int READY = 2;
  public static final int INIT_ERROR = 3;
  public static final int EVENT = 4;
  public static final int RESPONSE = 5;
  public static final int LOG = 6;
  public static final int METRIC = 7;
  public static final int PING = 8;
  public static final int PONG = 9;
  public static final int SHUTDOWN = 10;

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

  /**
   * The kind's name, the json codec's {@code "kind"} value.
   *
   * @param kind a message kind
   * @return its name; null for an unknown kind
   */
  public static String name(int kind) {
    return kind > 0 && kind < NAMES.length ? NAMES[kind] : null;
  }

  /**
   * The kind a name stands for.
   *
   * @param name a kind's name
   * @return the kind, or 0
   */
  public static int kind(String name) {
    for (int kind = 1; kind < NAMES.length; kind++) {
      if (NAMES[kind].equals(name)) {
        return kind;
      }
    }
    return 0;
  }

  /**
   * Whether the kind has a {@code bin} field, {@code body} (json carries it as base64).
   *
   * @param kind a message kind
   * @return true for event and response
   */
  public static boolean hasBody(int kind) {
    return kind == EVENT || kind == RESPONSE;
  }

  /**
   * One message: its kind and its fields.
   *
   * @param kind the message kind
   * @param payload its fields
   */
  public record Message(int kind, Map<String, Object> payload) {}

  /**
   * A {@code response} message.
   *
   * @param id the event's id
   * @param status the HTTP status
   * @param headers the headers, without {@code content-type}
   * @param contentType the content type, or empty
   * @param body the body
   * @return the message, its payload open to more fields
   */
  public static Message response(
      long id, int status, Map<String, String> headers, String contentType, byte[] body) {
    Map<String, Object> payload = new HashMap<>();
    payload.put("id", id);
    payload.put("status", status);
    payload.put("headers", headers);
    payload.put("content_type", contentType);
    payload.put("body", body);
    return new Message(RESPONSE, payload);
  }

  /** The bytes cannot be read as protocol messages; the connection is unusable. */
  public static final class ProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * An error.
     *
     * @param message what is wrong
     */
    public ProtocolException(String message) {
      super(message);
    }

    /**
     * An error with its cause.
     *
     * @param message what is wrong
     * @param cause the cause
     */
    public ProtocolException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * The error for a frame over {@link #MAX_FRAME_LEN}.
   *
   * @param size the frame's size
   * @return the error
   */
  public static ProtocolException frameTooLarge(long size) {
    return new ProtocolException(
        "frame of " + size + " bytes is over the " + MAX_FRAME_LEN + "-byte limit");
  }
}
