package io.ferrite.wrapper.codec;

import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.jr.ob.JSON;
import io.ferrite.wrapper.Protocol;
import io.ferrite.wrapper.Protocol.Message;
import io.ferrite.wrapper.Protocol.ProtocolException;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One JSON object per {@code \n}-ended line, {@code "kind"} naming the message, the {@code body} in
 * base64. Jackson parses and writes the line, jackson-jr the fields but the body; the body's base64
 * is coded by {@code java.util.Base64} straight from and into the line's bytes, which the JIT
 * vectorizes: Jackson's own base64 took twice as long on large bodies (see
 * wrappers/java/README.md). Remembers how far it has searched for a newline, so a long line
 * arriving over many reads is scanned once: always pass a buffer that starts where the last call's
 * used bytes ended.
 */
final class JsonCodec implements Codec {
  /** Lines as long as a frame: a body may be that large. */
  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder().maxStringLength(Protocol.MAX_FRAME_LEN).build())
          .build();

  /**
   * The fields other than the body: null values and repeated keys (the last wins) kept, maps as
   * plain {@code HashMap}s, and no flush after each field (the line is written whole).
   */
  private static final JSON FIELDS =
      JSON.builder(FACTORY)
          .enable(JSON.Feature.WRITE_NULL_PROPERTIES)
          .disable(
              JSON.Feature.USE_DEFERRED_MAPS,
              JSON.Feature.FAIL_ON_DUPLICATE_MAP_KEYS,
              JSON.Feature.FLUSH_AFTER_WRITE_VALUE)
          .build();

  private static final Base64.Encoder ENCODER = Base64.getEncoder();
  private static final Base64.Decoder DECODER = Base64.getDecoder();

  /**
   * Jackson's base64, for a body the JDK's decoder cannot read straight from the line (one with an
   * escape, say): standard, with padding or without, as the JDK's decoder reads.
   */
  private static final Base64Variant BASE64 = Base64Variants.MIME_NO_LINEFEEDS.withPaddingAllowed();

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;

  private int scanned;

  @Override
  public void encode(Message message, FrameBuffer out) throws ProtocolException {
    int start = out.size();
    try (JsonGenerator generator = FACTORY.createGenerator(out)) {
      generator.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      generator.writeStartObject();
      generator.writeStringField("kind", Protocol.name(message.kind()));
      for (Map.Entry<String, Object> field : message.payload().entrySet()) {
        generator.writeFieldName(field.getKey());
        Object value = field.getValue();
        if (value instanceof byte[]) {
          // Base64 needs no escaping: the generator only adds the quotes.
          byte[] text = ENCODER.encode((byte[]) value);
          generator.writeRawUTF8String(text, 0, text.length);
        } else {
          FIELDS.write(value, generator);
        }
      }
      generator.writeEndObject();
    } catch (IOException | RuntimeException e) {
      out.truncate(start);
      throw new ProtocolException("cannot encode a " + Protocol.name(message.kind()) + ": " + e, e);
    }
    int length = out.size() - start;
    if (length > Protocol.MAX_FRAME_LEN) {
      out.truncate(start);
      throw Protocol.frameTooLarge(length);
    }
    out.write('\n');
  }

  @Override
  public int decode(byte[] bytes, int start, int end, List<Message> out) throws ProtocolException {
    int position = start;
    while (true) {
      int newline = indexOf(bytes, (byte) '\n', position + scanned, end);
      if (newline < 0) {
        scanned = end - position;
        if (scanned > Protocol.MAX_FRAME_LEN) {
          throw Protocol.frameTooLarge(scanned);
        }
        return position - start;
      }
      scanned = 0;
      if (newline - position > Protocol.MAX_FRAME_LEN) {
        throw Protocol.frameTooLarge(newline - position);
      }
      int lineEnd = newline > position && bytes[newline - 1] == '\r' ? newline - 1 : newline;
      out.add(parseLine(bytes, position, lineEnd - position));
      position = newline + 1;
    }
  }

  @Override
  public int frameSize(byte[] bytes, int start, int end) {
    return -1;
  }

  /**
   * The first {@code value} in {@code bytes[from, to)}, or -1. Reads eight bytes at a time, where a
   * loop over bytes reads one: it finds the end of a 1.4 MB line (a 1 MiB body) in about half the
   * time, and the JDK has no such search over a byte array.
   */
  static int indexOf(byte[] bytes, byte value, int from, int to) {
    long pattern = (value & 0xffL) * ONES;
    int i = from;
    for (; i <= to - 8; i += 8) {
      // A byte of x is zero where the byte is `value`; the lowest such byte sets the lowest bit.
      long x = (long) LONGS.get(bytes, i) ^ pattern;
      long found = (x - ONES) & ~x & HIGHS;
      if (found != 0) {
        return i + (Long.numberOfTrailingZeros(found) >>> 3);
      }
    }
    for (; i < to; i++) {
      if (bytes[i] == value) {
        return i;
      }
    }
    return -1;
  }

  private static Message parseLine(byte[] bytes, int offset, int length) throws ProtocolException {
    boolean blank = true;
    for (int i = offset; i < offset + length && blank; i++) {
      blank = bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\r';
    }
    if (blank) {
      throw new ProtocolException("empty frame (blank line)");
    }
    String kindName = null;
    Map<String, Object> payload = new HashMap<>();
    try (JsonParser parser = FACTORY.createParser(bytes, offset, length)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new ProtocolException("malformed json message: not an object");
      }
      for (String name = parser.nextFieldName(); name != null; name = parser.nextFieldName()) {
        JsonToken token = parser.nextToken();
        if (name.equals("kind")) {
          Object kind = value(parser, token);
          kindName = kind instanceof String ? (String) kind : null;
        } else if (name.equals("body")
            && token == JsonToken.VALUE_STRING
            && Protocol.hasBody(Protocol.kind(kindName))) {
          byte[] body = bodyFromLine(parser, bytes, offset, offset + length);
          payload.put(name, body != null ? body : binary(parser, kindName));
        } else {
          payload.put(name, value(parser, token));
        }
      }
      if (parser.nextToken() != null) {
        throw new ProtocolException("malformed json message: more after the object");
      }
    } catch (IOException | IllegalArgumentException e) {
      throw new ProtocolException("malformed json message: " + firstLine(e), e);
    }
    int kind = Protocol.kind(kindName);
    if (kind == 0) {
      throw new ProtocolException(
          "unknown message kind " + (kindName == null ? "(none)" : "\"" + kindName + "\""));
    }
    if (Protocol.hasBody(kind)) {
      Object body = payload.get("body");
      if (body instanceof String) {
        // The body came before the kind, so it was read as text.
        payload.put("body", binary((String) body, kindName));
      } else if (body != null && !(body instanceof byte[])) {
        throw new ProtocolException("malformed " + kindName + " message: body is not a string");
      }
    }
    return new Message(kind, payload);
  }

  /**
   * The value the parser is at. Text and whole numbers are taken from the parser as jackson-jr
   * would take them; it reads the rest, but each call of it sets up a reader, which for the many
   * scalar fields of an event cost more than the reading.
   */
  private static Object value(JsonParser parser, JsonToken token) throws IOException {
    switch (token) {
      case VALUE_STRING:
        return parser.getText();
      case VALUE_NUMBER_INT:
        return parser.getNumberValue();
      default:
        return FIELDS.anyFrom(parser);
    }
  }

  /**
   * The bytes of the base64 string the parser is at, decoded straight from the line, without a
   * String in between; null when the text between its quotes is not plain base64. The parser then
   * skips the string, checking it as JSON.
   */
  private static byte[] bodyFromLine(JsonParser parser, byte[] line, int start, int end) {
    // The parser counts offsets from the start of the line.
    int open = start + (int) parser.currentTokenLocation().getByteOffset();
    int close = indexOf(line, (byte) '"', open + 1, end);
    if (close < 0) {
      return null;
    }
    try {
      ByteBuffer decoded = DECODER.decode(ByteBuffer.wrap(line, open + 1, close - open - 1));
      return decoded.remaining() == decoded.array().length
          ? decoded.array()
          : Arrays.copyOf(decoded.array(), decoded.remaining());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static byte[] binary(JsonParser parser, String kindName) throws ProtocolException {
    try {
      return parser.getBinaryValue(BASE64);
    } catch (IOException e) {
      throw notBase64(kindName, e);
    }
  }

  private static byte[] binary(String text, String kindName) throws ProtocolException {
    try {
      return DECODER.decode(text);
    } catch (IllegalArgumentException e) {
      throw notBase64(kindName, e);
    }
  }

  private static ProtocolException notBase64(String kindName, Exception e) {
    return new ProtocolException(
        "malformed " + kindName + " message: body is not valid base64: " + firstLine(e), e);
  }

  /** Jackson's messages go on to say where in the source: one line is enough here. */
  private static String firstLine(Exception e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    return message.split("\n", 2)[0];
  }
}
