package io.ferrite;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.Array;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * JSON for handlers: {@link #encode} is how a map, list or record result is sent, {@link #parse}
 * reads a JSON body.
 *
 * <pre>{@code
 * Map<?, ?> body = (Map<?, ?>) Json.parse(event.getBody());
 * }</pre>
 */
public final class Json {
  /** Text and documents as long as a frame: a request body may be that large. */
  private static final int MAX_STRING_LENGTH = 256 * 1024 * 1024;

  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder().maxStringLength(MAX_STRING_LENGTH).build())
          .build();

  private Json() {}

  /**
   * The JSON factory ferrite reads and writes with, its limits raised to ferrite's frame size.
   *
   * @return the shared factory
   */
  public static JsonFactory factory() {
    return FACTORY;
  }

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
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator generator = FACTORY.createGenerator(out)) {
      write(generator, value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * A value as JSON text; see {@link #encode}.
   *
   * @param value the value
   * @return its JSON
   */
  public static String stringify(Object value) {
    StringWriter out = new StringWriter();
    try (JsonGenerator generator = FACTORY.createGenerator(out)) {
      write(generator, value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * Writes one value with a generator; see {@link #encode}.
   *
   * @param generator where to
   * @param value the value
   * @throws IOException if the generator's output fails
   */
  public static void write(JsonGenerator generator, Object value) throws IOException {
    if (value == null) {
      generator.writeNull();
    } else if (value instanceof String) {
      generator.writeString((String) value);
    } else if (value instanceof Boolean) {
      generator.writeBoolean((Boolean) value);
    } else if (value instanceof Number) {
      writeNumber(generator, (Number) value);
    } else if (value instanceof Map) {
      generator.writeStartObject();
      for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
        generator.writeFieldName(String.valueOf(entry.getKey()));
        write(generator, entry.getValue());
      }
      generator.writeEndObject();
    } else if (value instanceof Iterable) {
      generator.writeStartArray();
      for (Object item : (Iterable<?>) value) {
        write(generator, item);
      }
      generator.writeEndArray();
    } else if (value instanceof byte[]) {
      generator.writeBinary((byte[]) value);
    } else if (value.getClass().isArray()) {
      int length = Array.getLength(value);
      generator.writeStartArray();
      for (int i = 0; i < length; i++) {
        write(generator, Array.get(value, i));
      }
      generator.writeEndArray();
    } else if (value instanceof CharSequence || value instanceof Character) {
      generator.writeString(value.toString());
    } else if (value instanceof Enum) {
      generator.writeString(((Enum<?>) value).name());
    } else if (value instanceof Optional) {
      write(generator, ((Optional<?>) value).orElse(null));
    } else if (value instanceof Date) {
      generator.writeString(((Date) value).toInstant().toString());
    } else if (value instanceof TemporalAccessor || value instanceof java.util.UUID) {
      generator.writeString(value.toString());
    } else if (value.getClass().isRecord()) {
      generator.writeStartObject();
      for (RecordComponent component : value.getClass().getRecordComponents()) {
        generator.writeFieldName(component.getName());
        write(generator, componentValue(component, value));
      }
      generator.writeEndObject();
    } else {
      throw new IllegalArgumentException(
          "cannot encode a "
              + value.getClass().getName()
              + " as JSON: use a Map, a List, a record or text");
    }
  }

  private static void writeNumber(JsonGenerator generator, Number number) throws IOException {
    if (number instanceof Integer
        || number instanceof Long
        || number instanceof Short
        || number instanceof Byte) {
      generator.writeNumber(number.longValue());
    } else if (number instanceof Double || number instanceof Float) {
      double value = number.doubleValue();
      if (Double.isNaN(value) || Double.isInfinite(value)) {
        throw new IllegalArgumentException(value + " is not a JSON number");
      }
      if (number instanceof Float) {
        generator.writeNumber(number.floatValue());
      } else {
        generator.writeNumber(value);
      }
    } else if (number instanceof BigInteger) {
      generator.writeNumber((BigInteger) number);
    } else if (number instanceof BigDecimal) {
      generator.writeNumber((BigDecimal) number);
    } else {
      // AtomicLong, LongAdder and the like.
      generator.writeNumber(number.toString());
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
   * Reads UTF-8 JSON: objects become {@code Map<String, Object>} (in order), arrays {@code
   * List<Object>}, whole numbers {@code Integer}, {@code Long} or {@code BigInteger} (the smallest
   * that holds them), other numbers {@code Double}.
   *
   * @param json the document
   * @return its value
   * @throws IllegalArgumentException if it is not one JSON value
   */
  public static Object parse(byte[] json) {
    try (JsonParser parser = FACTORY.createParser(json)) {
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
    try (JsonParser parser = FACTORY.createParser(json)) {
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
    JsonToken token = parser.nextToken();
    if (token == null) {
      throw new IllegalArgumentException("malformed JSON: the document is empty");
    }
    Object value = read(parser, token);
    if (parser.nextToken() != null) {
      throw new IllegalArgumentException("malformed JSON: more after the first value");
    }
    return value;
  }

  /**
   * Reads the value that starts at {@code token}.
   *
   * @param parser the parser, at {@code token}
   * @param token the current token
   * @return the value
   * @throws IOException if the input is not JSON
   */
  public static Object read(JsonParser parser, JsonToken token) throws IOException {
    switch (token) {
      case START_OBJECT:
        Map<String, Object> object = new LinkedHashMap<>();
        for (String name = parser.nextFieldName(); name != null; name = parser.nextFieldName()) {
          object.put(name, read(parser, parser.nextToken()));
        }
        return object;
      case START_ARRAY:
        List<Object> array = new ArrayList<>();
        for (JsonToken item = parser.nextToken();
            item != JsonToken.END_ARRAY;
            item = parser.nextToken()) {
          array.add(read(parser, item));
        }
        return array;
      case VALUE_STRING:
        return parser.getText();
      case VALUE_NUMBER_INT:
        return parser.getNumberValue();
      case VALUE_NUMBER_FLOAT:
        return parser.getDoubleValue();
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NULL:
        return null;
      default:
        throw new IOException("unexpected " + token);
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
