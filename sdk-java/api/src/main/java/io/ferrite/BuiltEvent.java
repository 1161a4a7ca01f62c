package io.ferrite;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Date;
import java.util.Locale;
import java.util.Map;

/** The {@link Event} a {@link Event.Builder} makes. */
final class BuiltEvent implements Event, TriggerInfo {
  private final long id;
  private final String triggerKind;
  private final String triggerName;
  private final String method;
  private final String path;
  private final String url;
  private final Map<String, Object> fields;
  private final Map<String, Object> headers;
  private final String contentType;
  private final byte[] body;
  private final long timestamp;
  private final long deadline;

  BuiltEvent(Event.Builder builder) {
    this.id = builder.id;
    this.triggerKind = builder.triggerKind;
    this.triggerName = builder.triggerName;
    this.method = builder.method;
    this.path = builder.path;
    this.url = builder.url != null ? builder.url : builder.path;
    this.fields = builder.fields;
    this.headers = builder.headers;
    this.contentType = builder.contentType;
    this.body = builder.body;
    this.timestamp = builder.timestamp;
    this.deadline = builder.deadline;
  }

  @Override
  public String getID() {
    return Long.toString(id);
  }

  @Override
  public TriggerInfo getTriggerInfo() {
    return this;
  }

  @Override
  public String getClassName() {
    return "sync";
  }

  @Override
  public String getKindName() {
    return triggerKind;
  }

  @Override
  public String getName() {
    return triggerName;
  }

  @Override
  public String getContentType() {
    return contentType;
  }

  @Override
  public byte[] getBody() {
    return body;
  }

  @Override
  public Object getHeader(String key) {
    if (key == null) {
      return null;
    }
    Object value = headers.get(key);
    return value != null ? value : headers.get(key.toLowerCase(Locale.ROOT));
  }

  @Override
  public String getHeaderString(String key) {
    return text(getHeader(key));
  }

  @Override
  public byte[] getHeaderBytes(String key) {
    return bytes(getHeader(key));
  }

  @Override
  public long getHeaderLong(String key) {
    return number(getHeader(key));
  }

  @Override
  public Map<String, Object> getHeaders() {
    return Collections.unmodifiableMap(headers);
  }

  @Override
  public Object getField(String key) {
    return key == null ? null : fields.get(key);
  }

  @Override
  public String getFieldString(String key) {
    return text(getField(key));
  }

  @Override
  public byte[] getFieldBytes(String key) {
    return bytes(getField(key));
  }

  @Override
  public long getFieldLong(String key) {
    return number(getField(key));
  }

  @Override
  public Map<String, Object> getFields() {
    return Collections.unmodifiableMap(fields);
  }

  @Override
  public Date getTimestamp() {
    return new Date(timestamp);
  }

  @Override
  public Date getDeadline() {
    return deadline == 0 ? null : new Date(deadline);
  }

  @Override
  public String getPath() {
    return path;
  }

  @Override
  public String getURL() {
    return url;
  }

  @Override
  public String getMethod() {
    return method;
  }

  @Override
  public String toString() {
    return "Event(id="
        + id
        + ", trigger="
        + triggerKind
        + ", method="
        + method
        + ", url="
        + url
        + ", contentType="
        + contentType
        + ", body="
        + body.length
        + " bytes)";
  }

  private static String text(Object value) {
    return value == null ? null : value.toString();
  }

  private static byte[] bytes(Object value) {
    if (value == null) {
      return null;
    }
    return value instanceof byte[]
        ? (byte[]) value
        : value.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static long number(Object value) {
    if (value == null) {
      return 0;
    }
    if (value instanceof Number) {
      return ((Number) value).longValue();
    }
    return Long.parseLong(value.toString().trim());
  }
}
