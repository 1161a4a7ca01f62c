package io.ferrite.wrapper.codec;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.ferrite.Json;
import io.ferrite.wrapper.Protocol;
import io.ferrite.wrapper.Protocol.Message;
import io.ferrite.wrapper.Protocol.ProtocolException;
import java.io.IOException;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One JSON object per {@code \n}-ended line, {@code "kind"} naming the message, the {@code body} in
 * base64. Remembers how far it has searched for a newline, so a long line arriving over many reads
 * is scanned once: always pass a buffer that starts where the last call's used bytes ended. A large
 * body does not go through Jackson: see {@link JsonBody}.
 */
final class JsonCodec implements Codec {
  private int scanned;

  @Override
  public void encode(Message message, FrameBuffer out) throws ProtocolException {
    int start = out.size();
    try (JsonGenerator generator = Json.factory().createGenerator(out)) {
      generator.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      generator.writeStartObject();
      generator.writeStringField("kind", Protocol.name(message.kind()));
      boolean hasBody = Protocol.hasBody(message.kind());
      for (Map.Entry<String, Object> field : message.payload().entrySet()) {
        generator.writeFieldName(field.getKey());
        Object value = field.getValue();
        if (hasBody && value instanceof byte[] && field.getKey().equals("body")) {
          byte[] body = (byte[]) value;
          if (body.length >= JsonBody.LARGE) {
            // The value's quotes go through the generator, which keeps track of commas and
            // colons; the base64 between them goes straight into the frame.
            generator.writeRawValue("\"");
            generator.flush();
            JsonBody.writeBase64(body, out);
            generator.writeRaw('"');
          } else {
            generator.writeBinary(body);
          }
        } else {
          Json.write(generator, value);
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
      int newline = JsonBody.indexOf(bytes, (byte) '\n', position + scanned, end);
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

  private static Message parseLine(byte[] bytes, int offset, int length) throws ProtocolException {
    if (length >= JsonBody.LARGE) {
      Message message = parseLargeBody(bytes, offset, offset + length);
      if (message != null) {
        return message;
      }
    }
    return parseWhole(bytes, offset, length);
  }

  /**
   * The message of a line with a large base64 body, or null to parse the line whole.
   *
   * <p>The body's bytes are cut out of the line and decoded straight from base64; only the rest,
   * with {@code ""} in the body's place, goes through Jackson. When the body is valid base64 (so
   * holds no quote, backslash or control character) and the rest parses, the whole line would have
   * parsed to the same message. Anything else, an error included, is left to {@link #parseWhole},
   * which reports it as it always has.
   */
  private static Message parseLargeBody(byte[] bytes, int start, int end) {
    JsonBody.Span span = JsonBody.bodySpan(bytes, start, end);
    if (span == null) {
      return null;
    }
    int head = span.start() - start;
    byte[] rest = new byte[head + end - span.end()];
    System.arraycopy(bytes, start, rest, 0, head);
    System.arraycopy(bytes, span.end(), rest, head, end - span.end());
    Message message;
    try {
      message = parseWhole(rest, 0, rest.length);
    } catch (ProtocolException e) {
      return null;
    }
    if (!Protocol.hasBody(message.kind())) {
      return null;
    }
    byte[] body = JsonBody.decodeBase64(bytes, span.start(), span.end());
    if (body == null) {
      return null;
    }
    message.payload().put("body", body);
    return message;
  }

  private static Message parseWhole(byte[] bytes, int offset, int length) throws ProtocolException {
    boolean blank = true;
    for (int i = offset; i < offset + length && blank; i++) {
      blank = bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\r';
    }
    if (blank) {
      throw new ProtocolException("empty frame (blank line)");
    }
    String kindName = null;
    Map<String, Object> payload = new HashMap<>();
    try (JsonParser parser = Json.factory().createParser(bytes, offset, length)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new ProtocolException("malformed json message: not an object");
      }
      for (String name = parser.nextFieldName(); name != null; name = parser.nextFieldName()) {
        Object value = Json.read(parser, parser.nextToken());
        if (name.equals("kind")) {
          kindName = value instanceof String ? (String) value : null;
        } else {
          payload.put(name, value);
        }
      }
      if (parser.nextToken() != null) {
        throw new ProtocolException("malformed json message: more after the object");
      }
    } catch (IOException | IllegalArgumentException e) {
      throw new ProtocolException("malformed json message: " + e.getMessage(), e);
    }
    int kind = Protocol.kind(kindName);
    if (kind == 0) {
      throw new ProtocolException(
          "unknown message kind " + (kindName == null ? "(none)" : "\"" + kindName + "\""));
    }
    if (Protocol.hasBody(kind)) {
      Object body = payload.get("body");
      if (body instanceof String) {
        try {
          payload.put("body", Base64.getDecoder().decode((String) body));
        } catch (IllegalArgumentException e) {
          throw new ProtocolException(
              "malformed " + kindName + " message: body is not valid base64: " + e.getMessage());
        }
      } else if (body != null) {
        throw new ProtocolException("malformed " + kindName + " message: body is not a string");
      }
    }
    return new Message(kind, payload);
  }
}
