package io.ferrite;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.jr.ob.JSON;
import com.fasterxml.jackson.jr.ob.api.ReaderWriterProvider;
import com.fasterxml.jackson.jr.ob.api.ValueWriter;
import com.fasterxml.jackson.jr.ob.impl.JSONWriter;
import java.io.IOException;
import java.lang.reflect.Array;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * JSON for handlers: {@link #encode} is how a map, list or record result is sent, {@link #parse}
 * reads a JSON body. Both are jackson-jr's, with the rules below.
 *
 * <pre>{@code
 * Map<?, ?> body = (Map<?, ?>) Json.parse(event.getBody());
 * }</pre>
 */
public final class Json {
  /** Text and documents as long as a frame: a request body may be that large. */
  private static final int MAX_STRING_LENGTH = 256 * 1024 * 1024;

  private static final JSON JR =
      JSON.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxStringLength(MAX_STRING_LENGTH).build())
                  .build())
          // Maps as they are, null values and repeated keys (the last wins) included; records'
          // fields in their order.
          .enable(
              JSON.Feature.WRITE_NULL_PROPERTIES,
              JSON.Feature.WRITE_RECORD_FIELDS_IN_DECLARATION_ORDER)
          .disable(JSON.Feature.USE_DEFERRED_MAPS, JSON.Feature.FAIL_ON_DUPLICATE_MAP_KEYS)
          .build()
          .with(new Rules());

  private Json() {}

  /**
   * A value as UTF-8 JSON.
   *
   * <p>Maps (keys as text), collections, arrays and records become objects and arrays; text,
   * numbers, booleans and null themselves; {@code byte[]} base64 text; enums their name; dates and
   * times ISO-8601 text; {@code Optional} its value or null.
   *
   * @param value the value
   * @return its JSON
   * @throws IllegalArgumentException for a value of another type, or a number that is not finite
   */
  public static byte[] encode(Object value) {
    try {
      return JR.asBytes(value);
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * A value as JSON text; see {@link #encode}.
   *
   * @param value the value
   * @return its JSON
   */
  public static String stringify(Object value) {
    try {
      return JR.asString(value);
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * Reads UTF-8 JSON: objects become {@code Map<String, Object>} (in order), arrays {@code
   * List<Object>}, whole numbers {@code Integer}, {@code Long} or {@code BigInteger} (the smallest
   * that holds them), other numbers {@code Double}.
   *
   * @param json the document
   * @return its value
   * @throws IllegalArgumentException if it is not one JSON value
   */
  public static Object parse(byte[] json) {
    try (JsonParser parser = JR.getStreamingFactory().createParser(json)) {
      return parseDocument(parser);
    } catch (IOException e) {
      throw malformed(e);
    }
  }

  /**
   * Reads JSON text; see {@link #parse(byte[])}.
   *
   * @param json the document
   * @return its value
   * @throws IllegalArgumentException if it is not one JSON value
   */
  public static Object parse(String json) {
    try (JsonParser parser = JR.getStreamingFactory().createParser(json)) {
      return parseDocument(parser);
    } catch (IOException e) {
      throw malformed(e);
    }
  }

  private static IllegalArgumentException malformed(IOException e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage().split("\n", 2)[0];
    return new IllegalArgumentException("malformed JSON: " + message, e);
  }

  private static Object parseDocument(JsonParser parser) throws IOException {
    if (parser.nextToken() == null) {
      throw new IllegalArgumentException("malformed JSON: the document is empty");
    }
    Object value = JR.anyFrom(parser);
    if (parser.nextToken() != null) {
      throw new IllegalArgumentException("malformed JSON: more after the first value");
    }
    return value;
  }

  /**
   * The rules of {@link #encode} where jackson-jr has others: it would write an enum's {@code
   * toString}, a {@code Date} in {@code Date.toString}'s form, NaN as text, and an {@code
   * Optional}, a {@code java.time} value, an {@code AtomicLong} or any other object as a bean (its
   * getters as an object). Asked for a writer before jackson-jr's own types, so it answers null to
   * leave a type to jackson-jr.
   */
  private static final class Rules extends ReaderWriterProvider {
    private static final ValueWriter FINITE =
        writer(
            (context, generator, value) -> {
              double number = ((Number) value).doubleValue();
              if (Double.isNaN(number) || Double.isInfinite(number)) {
                throw new IllegalArgumentException(number + " is not a JSON number");
              }
              if (value instanceof Float) {
                generator.writeNumber((Float) value);
              } else {
                generator.writeNumber(number);
              }
            });
    private static final ValueWriter NAME =
        writer((context, generator, value) -> generator.writeString(((Enum<?>) value).name()));
    private static final ValueWriter INSTANT =
        writer(
            (context, generator, value) ->
                generator.writeString(((Date) value).toInstant().toString()));
    private static final ValueWriter TEXT =
        writer((context, generator, value) -> generator.writeString(value.toString()));
    private static final ValueWriter OPTIONAL =
        writer(
            (context, generator, value) -> context.writeValue(((Optional<?>) value).orElse(null)));
    // AtomicLong, LongAdder and the like.
    private static final ValueWriter OTHER_NUMBER =
        writer((context, generator, value) -> generator.writeNumber(value.toString()));
    private static final ValueWriter ITERABLE =
        writer(
            (context, generator, value) -> {
              generator.writeStartArray();
              for (Object item : (Iterable<?>) value) {
                context.writeValue(item);
              }
              generator.writeEndArray();
            });
    private static final ValueWriter REFUSE =
        writer(
            (context, generator, value) -> {
              throw new IllegalArgumentException(
                  "cannot encode a "
                      + value.getClass().getName()
                      + " as JSON: use a Map, a List, a record or text");
            });

    @Override
    public ValueWriter findValueWriter(JSONWriter context, Class<?> type) {
      if (type == Double.class || type == Float.class) {
        return FINITE;
      }
      if (Number.class.isAssignableFrom(type)) {
        return isPlainNumber(type) ? null : OTHER_NUMBER;
      }
      if (Enum.class.isAssignableFrom(type)) {
        return NAME;
      }
      if (Date.class.isAssignableFrom(type)) {
        return INSTANT;
      }
      if (TemporalAccessor.class.isAssignableFrom(type)) {
        return TEXT;
      }
      if (type == Optional.class) {
        return OPTIONAL;
      }
      if (Iterable.class.isAssignableFrom(type) && !Collection.class.isAssignableFrom(type)) {
        return ITERABLE;
      }
      boolean data =
          type.isRecord()
              || type.isArray()
              || Map.class.isAssignableFrom(type)
              || Collection.class.isAssignableFrom(type)
              || CharSequence.class.isAssignableFrom(type)
              || type == Boolean.class
              || type == Character.class
              || type == UUID.class;
      // Anything else jackson-jr would write as a bean, from its getters.
      return data ? null : REFUSE;
    }

    private static boolean isPlainNumber(Class<?> type) {
      return type == Integer.class
          || type == Long.class
          || type == Short.class
          || type == Byte.class
          || type == BigInteger.class
          || type == BigDecimal.class;
    }

    /** How a value is written. */
    @FunctionalInterface
    private interface Write {
      void write(JSONWriter context, JsonGenerator generator, Object value) throws IOException;
    }

    private static ValueWriter writer(Write write) {
      return new ValueWriter() {
        @Override
        public void writeValue(JSONWriter context, JsonGenerator generator, Object value)
            throws IOException {
          write.write(context, generator, value);
        }

        @Override
        public Class<?> valueType() {
          return Object.class;
        }
      };
    }
  }

  private static Object componentValue(RecordComponent component, Object record) {
    try {
      var accessor = component.getAccessor();
      accessor.setAccessible(true);
      return accessor.invoke(record);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalArgumentException(
          "cannot read " + record.getClass().getName() + "." + component.getName() + ": " + e, e);
    }
  }

  /**
   * A value as JSON-like data every codec carries, for structured log fields: text, booleans and
   * null as they are; whole numbers as {@code Long} (or text past 64 bits); finite other numbers as
   * {@code Double} (or text); maps with text keys and lists of such values; {@code byte[]} as UTF-8
   * text; records as maps; anything else as its {@code toString()}. Never throws.
   *
   * @param value the value
   * @return its plain form
   */
  public static Object plain(Object value) {
    if (value == null || value instanceof String || value instanceof Boolean) {
      return value;
    }
    if (value instanceof Integer
        || value instanceof Long
        || value instanceof Short
        || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    if (value instanceof Double || value instanceof Float) {
      double number = ((Number) value).doubleValue();
      return Double.isNaN(number) || Double.isInfinite(number) ? Double.toString(number) : number;
    }
    if (value instanceof BigInteger) {
      BigInteger number = (BigInteger) value;
      return number.bitLength() < 64 ? (Object) number.longValue() : number.toString();
    }
    if (value instanceof Map) {
      Map<String, Object> map = new LinkedHashMap<>();
      for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
        map.put(String.valueOf(entry.getKey()), plain(entry.getValue()));
      }
      return map;
    }
    if (value instanceof Iterable) {
      List<Object> list = new ArrayList<>();
      for (Object item : (Iterable<?>) value) {
        list.add(plain(item));
      }
      return list;
    }
    if (value instanceof byte[]) {
      return new String((byte[]) value, StandardCharsets.UTF_8);
    }
    if (value.getClass().isArray()) {
      List<Object> list = new ArrayList<>();
      for (int i = 0, n = Array.getLength(value); i < n; i++) {
        list.add(plain(Array.get(value, i)));
      }
      return list;
    }
    if (value instanceof Enum) {
      return ((Enum<?>) value).name();
    }
    if (value instanceof Date) {
      return ((Date) value).toInstant().toString();
    }
    if (value instanceof Optional) {
      return plain(((Optional<?>) value).orElse(null));
    }
    if (value.getClass().isRecord()) {
      Map<String, Object> map = new LinkedHashMap<>();
      for (RecordComponent component : value.getClass().getRecordComponents()) {
        Object item;
        try {
          item = componentValue(component, value);
        } catch (IllegalArgumentException e) {
          item = e.getMessage();
        }
        map.put(component.getName(), plain(item));
      }
      return map;
    }
    try {
      return String.valueOf(value);
    } catch (RuntimeException e) {
      return "<" + value.getClass().getName() + ".toString() failed: " + e + ">";
    }
  }
}
