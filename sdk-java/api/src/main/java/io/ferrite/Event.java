package io.ferrite;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One event: nuclio's {@code io.nuclio.Event}. For an HTTP request: its method, path, URL, query
 * parameters ({@link #getFields}), headers (looked up in any case), content type and body.
 *
 * <p>{@link #builder()} makes one, for a handler's unit tests.
 */
public interface Event {
  /**
   * The event's id, unique within the processor's life.
   *
   * @return the id, in decimal
   */
  String getID();

  /**
   * Where the event came from.
   *
   * @return the trigger's kind and name
   */
  TriggerInfo getTriggerInfo();

  /**
   * The content type, e.g. {@code application/json}.
   *
   * @return the {@code content-type} header, or empty
   */
  String getContentType();

  /**
   * The body; {@link Json#parse(byte[])} reads a JSON one.
   *
   * @return the body, possibly empty, never null
   */
  byte[] getBody();

  /**
   * A header.
   *
   * @param key the header's name, in any case
   * @return its value (a {@code String}), or null
   */
  Object getHeader(String key);

  /**
   * A header as text.
   *
   * @param key the header's name, in any case
   * @return its value, or null
   */
  String getHeaderString(String key);

  /**
   * A header as UTF-8 bytes.
   *
   * @param key the header's name, in any case
   * @return its value, or null
   */
  byte[] getHeaderBytes(String key);

  /**
   * A header as a number.
   *
   * @param key the header's name, in any case
   * @return its value, or 0 when absent
   * @throws NumberFormatException when it is not a whole number
   */
  long getHeaderLong(String key);

  /**
   * Every header, names in lower case; repeated headers are joined with {@code ", "}.
   *
   * @return the headers, read-only
   */
  Map<String, Object> getHeaders();

  /**
   * A query parameter.
   *
   * @param key its name
   * @return its value (a {@code String}), or null
   */
  Object getField(String key);

  /**
   * A query parameter as text.
   *
   * @param key its name
   * @return its value, or null
   */
  String getFieldString(String key);

  /**
   * A query parameter as UTF-8 bytes.
   *
   * @param key its name
   * @return its value, or null
   */
  byte[] getFieldBytes(String key);

  /**
   * A query parameter as a number.
   *
   * @param key its name
   * @return its value, or 0 when absent
   * @throws NumberFormatException when it is not a whole number
   */
  long getFieldLong(String key);

  /**
   * Every query parameter, percent-decoded; for a repeated name, the first value.
   *
   * @return the parameters, read-only
   */
  Map<String, Object> getFields();

  /**
   * When the trigger received the event.
   *
   * @return the time
   */
  Date getTimestamp();

  /**
   * The URL's path, e.g. {@code /a/b}.
   *
   * @return the path
   */
  String getPath();

  /**
   * The path and query as requested, e.g. {@code /a/b?x=1}.
   *
   * @return the URL
   */
  String getURL();

  /**
   * The method, e.g. {@code POST}.
   *
   * @return the method
   */
  String getMethod();

  /**
   * When the processor gives up on the event (ferrite's own).
   *
   * @return the deadline, or null for none
   */
  default Date getDeadline() {
    return null;
  }

  /**
   * The shard the event came from; 0 for triggers without shards.
   *
   * @return the shard id
   */
  default long getShardID() {
    return 0;
  }

  /**
   * How many shards the trigger has; 0 for triggers without shards.
   *
   * @return the number of shards
   */
  default long getTotalNumShards() {
    return 0;
  }

  /**
   * The event's type, for triggers that carry one.
   *
   * @return the type, or empty
   */
  default String getType() {
    return "";
  }

  /**
   * The event type's version, for triggers that carry one.
   *
   * @return the version, or empty
   */
  default String getTypeVersion() {
    return "";
  }

  /**
   * The event's version, for triggers that carry one.
   *
   * @return the version, or empty
   */
  default String getVersion() {
    return "";
  }

  /**
   * A builder of events, for tests.
   *
   * @return a builder of a {@code GET /} HTTP event with id 1
   */
  static Builder builder() {
    return new Builder();
  }

  /** Builds an {@link Event}; every setter returns the builder. */
  final class Builder {
    long id = 1;
    String triggerKind = "http";
    String triggerName = "";
    String method = "GET";
    String path = "/";
    String url;
    Map<String, Object> fields = Collections.emptyMap();
    Map<String, Object> headers = Collections.emptyMap();
    String contentType = "";
    byte[] body = new byte[0];
    long timestamp = System.currentTimeMillis();
    long deadline;

    Builder() {}

    /**
     * Sets the id.
     *
     * @param id the event id
     * @return this builder
     */
    public Builder id(long id) {
      this.id = id;
      return this;
    }

    /**
     * Sets the trigger.
     *
     * @param kind e.g. {@code http}
     * @param name the trigger's name in the spec
     * @return this builder
     */
    public Builder trigger(String kind, String name) {
      this.triggerKind = orEmpty(kind);
      this.triggerName = orEmpty(name);
      return this;
    }

    /**
     * Sets the method.
     *
     * @param method e.g. {@code POST}
     * @return this builder
     */
    public Builder method(String method) {
      this.method = orEmpty(method);
      return this;
    }

    /**
     * Sets the path; the URL too, unless it was set.
     *
     * @param path e.g. {@code /a/b}
     * @return this builder
     */
    public Builder path(String path) {
      this.path = orEmpty(path);
      return this;
    }

    /**
     * Sets the URL (path and query).
     *
     * @param url e.g. {@code /a/b?x=1}
     * @return this builder
     */
    public Builder url(String url) {
      this.url = orEmpty(url);
      return this;
    }

    /**
     * Sets the query parameters.
     *
     * @param fields names to values
     * @return this builder
     */
    public Builder fields(Map<String, ?> fields) {
      this.fields = readOnly(fields, false);
      return this;
    }

    /**
     * Sets the headers; names are stored in lower case.
     *
     * @param headers names to values
     * @return this builder
     */
    public Builder headers(Map<String, ?> headers) {
      this.headers = readOnly(headers, true);
      return this;
    }

    /**
     * Sets the content type.
     *
     * @param contentType e.g. {@code application/json}
     * @return this builder
     */
    public Builder contentType(String contentType) {
      this.contentType = orEmpty(contentType);
      return this;
    }

    /**
     * Sets the body.
     *
     * @param body the bytes, not copied
     * @return this builder
     */
    public Builder body(byte[] body) {
      this.body = body == null ? new byte[0] : body;
      return this;
    }

    /**
     * Sets the body to UTF-8 text.
     *
     * @param body the text
     * @return this builder
     */
    public Builder body(String body) {
      return body(body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Sets when the trigger received the event.
     *
     * @param millis milliseconds since the Unix epoch
     * @return this builder
     */
    public Builder timestamp(long millis) {
      this.timestamp = millis;
      return this;
    }

    /**
     * Sets the deadline.
     *
     * @param millis milliseconds since the Unix epoch; 0 for none
     * @return this builder
     */
    public Builder deadline(long millis) {
      this.deadline = millis;
      return this;
    }

    /**
     * The event.
     *
     * @return a new event with the values set so far
     */
    public Event build() {
      return new BuiltEvent(this);
    }

    private static String orEmpty(String text) {
      return text == null ? "" : text;
    }

    private static Map<String, Object> readOnly(Map<String, ?> map, boolean lowerCaseKeys) {
      if (map == null || map.isEmpty()) {
        return Collections.emptyMap();
      }
      Map<String, Object> copy = new LinkedHashMap<>();
      for (Map.Entry<String, ?> entry : map.entrySet()) {
        String key = entry.getKey();
        copy.put(lowerCaseKeys ? key.toLowerCase(Locale.ROOT) : key, entry.getValue());
      }
      return Collections.unmodifiableMap(copy);
    }
  }
}
