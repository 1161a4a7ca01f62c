package io.ferrite;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * What ferrite answers for whatever a handler returned: status, headers, content type and body
 * bytes, by the rules of {@link EventHandler}. A handler's tests can check what ferrite would send:
 * {@code WireResponse.of(handler.handleEvent(context, event))}. Putting it in a frame is the
 * wrapper's work, not the SDK's.
 *
 * @param status the HTTP status code
 * @param headers response headers, without {@code content-type}
 * @param contentType the content type; empty for an empty body without one
 * @param body the body
 */
public record WireResponse(
    int status, Map<String, String> headers, String contentType, byte[] body) {
  /** Text: {@code text/plain; charset=utf-8}. */
  public static final String TEXT = "text/plain; charset=utf-8";

  /** Bytes: {@code application/octet-stream}. */
  public static final String BINARY = "application/octet-stream";

  /** JSON: {@code application/json}. */
  public static final String JSON = "application/json";

  private static final byte[] EMPTY = new byte[0];

  /** A body and the content type it implies. */
  record Body(byte[] body, String contentType) {}

  private static final Body NO_BODY = new Body(EMPTY, "");

  /**
   * The response for a handler's result.
   *
   * @param result what the handler returned
   * @return the response's fields
   * @throws IllegalArgumentException for a result that cannot be sent: a status outside 100-999, a
   *     value JSON cannot encode, a {@code Map.Entry} whose key is not a status
   * @throws java.util.concurrent.CompletionException when a {@code CompletionStage} result failed;
   *     its cause is the handler's exception
   */
  public static WireResponse of(Object result) {
    if (result instanceof String) {
      return new WireResponse(
          200, Collections.emptyMap(), TEXT, ((String) result).getBytes(StandardCharsets.UTF_8));
    }
    if (result == null) {
      return new WireResponse(200, Collections.emptyMap(), "", EMPTY);
    }
    if (result instanceof Response) {
      return fromResponse((Response) result);
    }
    if (result instanceof Map.Entry) {
      Map.Entry<?, ?> pair = (Map.Entry<?, ?>) result;
      if (!(pair.getKey() instanceof Number)) {
        throw new IllegalArgumentException(
            "a Map.Entry returned by a handler must be (status, body), e.g. Map.entry(202,"
                + " \"accepted\"); its key is a "
                + typeName(pair.getKey()));
      }
      Body body = body(pair.getValue());
      return new WireResponse(
          status(((Number) pair.getKey()).longValue()),
          Collections.emptyMap(),
          body.contentType(),
          body.body());
    }
    if (result instanceof CompletionStage) {
      return of(((CompletionStage<?>) result).toCompletableFuture().join());
    }
    Body body = body(result);
    return new WireResponse(200, Collections.emptyMap(), body.contentType(), body.body());
  }

  private static WireResponse fromResponse(Response response) {
    Body body = body(response.getBodyValue());
    Map<String, Object> given = response.getHeaders();
    Map<String, String> headers = Collections.emptyMap();
    String headerType = null;
    if (!given.isEmpty()) {
      headers = new LinkedHashMap<>();
      for (Map.Entry<String, Object> header : given.entrySet()) {
        String name = String.valueOf(header.getKey());
        String value = String.valueOf(header.getValue());
        if ("content-type".equalsIgnoreCase(name)) {
          headerType = value;
        } else {
          headers.put(name, value);
        }
      }
    }
    String contentType = response.explicitContentType();
    if (contentType == null || contentType.isEmpty()) {
      contentType = headerType != null ? headerType : body.contentType();
    }
    return new WireResponse(status(response.getStatusCode()), headers, contentType, body.body());
  }

  /** A body value as bytes, with the content type it implies. */
  static Body body(Object value) {
    if (value == null) {
      return NO_BODY;
    }
    if (value instanceof String || value instanceof CharSequence) {
      return new Body(value.toString().getBytes(StandardCharsets.UTF_8), TEXT);
    }
    if (value instanceof byte[]) {
      return new Body((byte[]) value, BINARY);
    }
    if (value instanceof ByteBuffer) {
      ByteBuffer buffer = ((ByteBuffer) value).duplicate();
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return new Body(bytes, BINARY);
    }
    if (value instanceof Map
        || value instanceof Collection
        || value.getClass().isArray()
        || value.getClass().isRecord()) {
      return new Body(Json.encode(value), JSON);
    }
    return new Body(value.toString().getBytes(StandardCharsets.UTF_8), TEXT);
  }

  private static int status(long code) {
    if (code < 100 || code > 999) {
      throw new IllegalArgumentException("status code " + code + " is outside 100-999");
    }
    return (int) code;
  }

  private static String typeName(Object value) {
    return value == null ? "null" : value.getClass().getName();
  }
}
