package io.ferrite;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A full answer: status code, headers, content type and body. nuclio's {@code io.nuclio.Response},
 * built the same way:
 *
 * <pre>{@code
 * return new Response().setStatusCode(201).setContentType("text/plain").setBody("created");
 * }</pre>
 *
 * <p>The status code defaults to 200. Without a content type, a {@code content-type} header gives
 * it, else the body does: {@code text/plain; charset=utf-8} for text, {@code
 * application/octet-stream} for bytes, {@code application/json} for a map, list or record.
 */
public class Response {
  private long statusCode = 200;
  private String contentType;
  private Object body;
  private Map<String, Object> headers = Collections.emptyMap();

  /** An empty 200 response. */
  public Response() {}

  /**
   * Sets the body.
   *
   * @param body the bytes, sent as they are
   * @return this response
   */
  public Response setBody(byte[] body) {
    this.body = body;
    return this;
  }

  /**
   * Sets the body.
   *
   * @param body text, sent as UTF-8
   * @return this response
   */
  public Response setBody(String body) {
    this.body = body;
    return this;
  }

  /**
   * Sets the body to any value a handler may return: a map, list or record is sent as JSON.
   *
   * @param body the value
   * @return this response
   */
  public Response setBody(Object body) {
    this.body = body;
    return this;
  }

  /**
   * The body as it is sent.
   *
   * @return the bytes, never null
   * @throws IllegalArgumentException if the body is a value JSON cannot encode
   */
  public byte[] getBody() {
    return WireResponse.body(body).body();
  }

  /**
   * The body as it was set.
   *
   * @return the value, or null
   */
  public Object getBodyValue() {
    return body;
  }

  /**
   * Sets the status code.
   *
   * @param statusCode from 100 to 999
   * @return this response
   */
  public Response setStatusCode(long statusCode) {
    this.statusCode = statusCode;
    return this;
  }

  /**
   * The status code.
   *
   * @return the status code
   */
  public long getStatusCode() {
    return statusCode;
  }

  /**
   * Sets the headers, replacing any set before.
   *
   * @param headers names to values (sent as their {@code toString()})
   * @return this response
   */
  public Response setHeaders(Map<String, Object> headers) {
    this.headers = headers == null ? Collections.emptyMap() : headers;
    return this;
  }

  /**
   * Sets one header.
   *
   * @param name the header's name
   * @param value its value (sent as its {@code toString()})
   * @return this response
   */
  public Response setHeader(String name, Object value) {
    Map<String, Object> copy = new LinkedHashMap<>(headers);
    copy.put(name, value);
    this.headers = copy;
    return this;
  }

  /**
   * The headers.
   *
   * @return the headers as set
   */
  public Map<String, Object> getHeaders() {
    return headers;
  }

  /**
   * Sets the content type.
   *
   * @param contentType e.g. {@code text/plain}
   * @return this response
   */
  public Response setContentType(String contentType) {
    this.contentType = contentType;
    return this;
  }

  /**
   * The content type that is sent: the one set, else a {@code content-type} header, else the one
   * the body implies.
   *
   * @return the content type, empty for an empty body without one
   */
  public String getContentType() {
    if (contentType != null && !contentType.isEmpty()) {
      return contentType;
    }
    for (Map.Entry<String, Object> header : headers.entrySet()) {
      if ("content-type".equalsIgnoreCase(header.getKey()) && header.getValue() != null) {
        return header.getValue().toString();
      }
    }
    return WireResponse.body(body).contentType();
  }

  String explicitContentType() {
    return contentType;
  }

  @Override
  public String toString() {
    Object shown = body instanceof byte[] ? ((byte[]) body).length + " bytes" : body;
    return "Response(status="
        + statusCode
        + ", contentType="
        + contentType
        + ", headers="
        + headers
        + ", body="
        + shown
        + ")";
  }
}
