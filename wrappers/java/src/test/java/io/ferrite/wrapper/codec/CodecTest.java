package io.ferrite.wrapper.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.flatbuffers.FlatBufferBuilder;
import ferrite.wire.Frame;
import ferrite.wire.Ping;
import io.ferrite.Json;
import io.ferrite.wrapper.FakeProcessor;
import io.ferrite.wrapper.Protocol;
import io.ferrite.wrapper.Protocol.Message;
import io.ferrite.wrapper.Protocol.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Written once, run for every codec. */
class CodecTest {
  static Iterable<String> names() {
    return Codec.ALL.keySet();
  }

  private static byte[] frames(Codec codec, Message... messages) throws ProtocolException {
    FrameBuffer out = new FrameBuffer();
    for (Message message : messages) {
      codec.encode(message, out);
    }
    return Arrays.copyOf(out.array(), out.size());
  }

  private static Message response(long id, byte[] body) {
    return Protocol.response(id, 200, Map.of("x-a", "b"), "text/plain", body);
  }

  @ParameterizedTest
  @MethodSource("names")
  void messagesSurviveARoundTrip(String name) throws ProtocolException {
    Codec codec = Codec.named(name);
    byte[] body = new byte[70_000];
    for (int i = 0; i < body.length; i++) {
      body[i] = (byte) (i * 31);
    }
    Map<String, Object> fields =
        Map.of("n", 1L, "list", List.of("a", 2.5, true), "nested", Map.of("k", "ż"));
    byte[] bytes =
        frames(
            codec,
            response(7, body),
            new Message(
                Protocol.LOG, Map.of("level", "info", "message", "héllo ✓", "fields", fields)),
            new Message(Protocol.SHUTDOWN, Map.of()));
    List<Message> out = new ArrayList<>();
    assertEquals(bytes.length, codec.decode(bytes, 0, bytes.length, out));
    assertEquals(3, out.size());
    Map<String, Object> decoded = out.get(0).payload();
    assertEquals(Protocol.RESPONSE, out.get(0).kind());
    assertEquals(7L, ((Number) decoded.get("id")).longValue());
    assertArrayEquals(body, (byte[]) decoded.get("body"));
    assertEquals(Map.of("x-a", "b"), decoded.get("headers"));
    assertEquals("héllo ✓", out.get(1).payload().get("message"));
    Map<?, ?> logged = (Map<?, ?>) out.get(1).payload().get("fields");
    assertEquals(Map.of("k", "ż"), logged.get("nested"));
    assertEquals(2.5, ((List<?>) logged.get("list")).get(1));
    assertEquals(Protocol.SHUTDOWN, out.get(2).kind());
  }

  @ParameterizedTest
  @MethodSource("names")
  void aPartialFrameWaitsForTheRest(String name) throws ProtocolException {
    Codec codec = Codec.named(name);
    byte[] bytes = frames(codec, response(1, new byte[1000]), response(2, new byte[3]));
    List<Message> out = new ArrayList<>();
    int used = 0;
    // Feed the bytes a few at a time, as reads may deliver them.
    for (int end = 1; end <= bytes.length; end += 7) {
      used += codec.decode(bytes, used, end, out);
    }
    used += codec.decode(bytes, used, bytes.length, out);
    assertEquals(bytes.length, used);
    assertEquals(2, out.size());
    assertEquals(2L, ((Number) out.get(1).payload().get("id")).longValue());
  }

  @ParameterizedTest
  @MethodSource("names")
  void emptyBodiesAndMissingFieldsDecode(String name) throws ProtocolException {
    Codec codec = Codec.named(name);
    byte[] bytes = frames(codec, FakeProcessor.event(3, "GET", "/", "", new byte[0]));
    List<Message> out = new ArrayList<>();
    codec.decode(bytes, 0, bytes.length, out);
    assertArrayEquals(new byte[0], (byte[]) out.get(0).payload().get("body"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"msgpack", "json", "flatbuffers"})
  void garbageIsAProtocolError(String name) {
    Codec codec = Codec.named(name);
    byte[] garbage =
        switch (name) {
          case "json" -> "{\"kind\":\"nonsense\"}\n".getBytes(StandardCharsets.UTF_8);
          case "msgpack" -> new byte[] {0, 0, 0, 2, 99, (byte) 0x80};
          default -> flatbuffersFrame(99);
        };
    ProtocolException error =
        assertThrows(
            ProtocolException.class,
            () -> codec.decode(garbage, 0, garbage.length, new ArrayList<>()));
    assertTrue(error.getMessage().contains("unknown message kind"), error.getMessage());
  }

  @org.junit.jupiter.api.Test
  void msgpackRefusesEmptyAndOversizedFrames() {
    Codec codec = Codec.named("msgpack");
    byte[] empty = {0, 0, 0, 0};
    assertThrows(ProtocolException.class, () -> codec.decode(empty, 0, 4, new ArrayList<>()));
    byte[] huge = {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 4};
    ProtocolException error =
        assertThrows(ProtocolException.class, () -> codec.decode(huge, 0, 5, new ArrayList<>()));
    assertTrue(error.getMessage().contains("limit"), error.getMessage());
    byte[] notAMap = {0, 0, 0, 2, 4, 1};
    assertThrows(ProtocolException.class, () -> codec.decode(notAMap, 0, 6, new ArrayList<>()));
  }

  @org.junit.jupiter.api.Test
  void jsonRefusesBlankLinesAndBadBase64AndTakesCrlf() throws ProtocolException {
    Codec codec = Codec.named("json");
    byte[] blank = " \n".getBytes(StandardCharsets.UTF_8);
    assertThrows(
        ProtocolException.class, () -> codec.decode(blank, 0, blank.length, new ArrayList<>()));
    byte[] badBody =
        "{\"kind\":\"event\",\"id\":1,\"body\":\"@@\"}\n".getBytes(StandardCharsets.UTF_8);
    assertThrows(
        ProtocolException.class, () -> codec.decode(badBody, 0, badBody.length, new ArrayList<>()));
    byte[] crlf = "{\"kind\":\"ping\",\"nonce\":5}\r\n".getBytes(StandardCharsets.UTF_8);
    List<Message> out = new ArrayList<>();
    assertEquals(crlf.length, codec.decode(crlf, 0, crlf.length, out));
    assertEquals(Protocol.PING, out.get(0).kind());
  }

  // The json codec decodes a body straight from the line's bytes (java.util.Base64 over the
  // string's bytes, or Jackson's getBinaryValue where that cannot: an escape, say). These check it
  // gives what the plain way gives: the line parsed whole into text, then the body's text decoded.

  /** Every byte value, so the base64 has every character, "+" and "/" among them. */
  private static final byte[] BIG = new byte[99_999];

  static {
    for (int i = 0; i < BIG.length; i++) {
      BIG[i] = (byte) (i % 251);
    }
  }

  private static final String BIG64 = Base64.getEncoder().encodeToString(BIG);

  /** The payload of a line the plain way, bodies as hex so that maps compare by value. */
  private static Map<String, Object> reference(String line) {
    @SuppressWarnings("unchecked")
    Map<String, Object> payload = new HashMap<>((Map<String, Object>) Json.parse(line.strip()));
    String kind = (String) payload.remove("kind");
    Object body = payload.get("body");
    if ((kind.equals("event") || kind.equals("response")) && body != null) {
      payload.put("body", HexFormat.of().formatHex(Base64.getDecoder().decode((String) body)));
    }
    return payload;
  }

  private static Map<String, Object> decodeJson(String line) throws ProtocolException {
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    List<Message> out = new ArrayList<>();
    assertEquals(bytes.length, Codec.named("json").decode(bytes, 0, bytes.length, out));
    assertEquals(1, out.size());
    Map<String, Object> payload = new HashMap<>(out.get(0).payload());
    if (payload.get("body") instanceof byte[]) {
      payload.put("body", HexFormat.of().formatHex((byte[]) payload.get("body")));
    }
    return payload;
  }

  @org.junit.jupiter.api.Test
  void jsonWritesALargeBodyAsJacksonWould() throws ProtocolException {
    Map<String, Object> payload = new LinkedHashMap<>();
    payload.put("id", 7L);
    payload.put("headers", Map.of("x-q", "a \"quoted\" \\ value"));
    payload.put("body", BIG);
    payload.put("error", "after the body");
    byte[] line = frames(Codec.named("json"), new Message(Protocol.RESPONSE, payload));
    String expected =
        "{\"kind\":\"response\",\"id\":7,\"headers\":{\"x-q\":\"a \\\"quoted\\\" \\\\ value\"},"
            + "\"body\":\""
            + BIG64
            + "\",\"error\":\"after the body\"}\n";
    assertEquals(expected, new String(line, StandardCharsets.UTF_8));
  }

  @org.junit.jupiter.api.Test
  void jsonDecodesALargeLineCutIntoPieces() throws ProtocolException {
    Codec codec = Codec.named("json");
    byte[] bytes =
        frames(
            codec,
            FakeProcessor.event(1, "POST", "/", "", BIG),
            new Message(Protocol.READY, Map.of()),
            FakeProcessor.event(2, "POST", "/", "", Arrays.copyOf(BIG, BIG.length - 1)));
    List<Message> out = new ArrayList<>();
    int used = 0;
    for (int end = 1000; used < bytes.length; end = Math.min(end + 1000, bytes.length)) {
      used += codec.decode(bytes, used, end, out);
    }
    assertEquals(3, out.size());
    assertArrayEquals(BIG, (byte[]) out.get(0).payload().get("body"));
    assertEquals(Protocol.READY, out.get(1).kind());
    assertArrayEquals(
        Arrays.copyOf(BIG, BIG.length - 1), (byte[]) out.get(2).payload().get("body"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        " { \"kind\" : \"event\" , \"id\" : 1 , \"body\" : \"BIG\" } \r\n",
        "{\"body\":\"BIG\",\"kind\":\"event\",\"id\":1}\n",
        "{\"kind\":\"event\",\"body\":\"BIG\",\"headers\":{\"body\":\"x\",\"a\":[1,{\"b\":\"}\"}]},"
            + "\"q\":\"\\\\\\\"\"}\n",
        "{\"kind\":\"event\",\"body\":\"BIG\",\"body\":\"aGk=\"}\n",
        "{\"kind\":\"event\",\"body\":\"aGk=\",\"body\":\"BIG\"}\n",
        "{\"kind\":\"event\",\"body\":\"BIG\",\"b\\u006fdy\":\"aGk=\"}\n",
        "{\"kind\":\"event\",\"body\":\"BIG\\/w==\"}\n",
        "{\"kind\":\"event\",\"body\":\"BIGaGk\"}\n",
        "{\"kind\":\"log\",\"body\":\"BIG\"}\n",
        "{\"kind\":\"event\",\"body\":null,\"pad\":\"BIG\"}\n",
      })
  void jsonDecodesALargeLineAsTheParserDoes(String template) throws ProtocolException {
    String line = template.replace("BIG", BIG64);
    assertEquals(reference(line), decodeJson(line));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"kind\":\"event\",\"body\":\"BIG*===\"}\n|body is not valid base64",
        "{\"kind\":\"event\",\"body\":\"BIG-_==\"}\n|body is not valid base64",
        "{\"kind\":\"event\",\"body\":\"BIG==AAAA\"}\n|body is not valid base64",
        "{\"kind\":\"event\",\"body\":\"BIGA\tAA\"}\n|body is not valid base64",
        "{\"kind\":\"event\",\"body\":\"BIG\"\n|malformed json message",
        "{\"kind\":\"event\",\"body\":\"BIG\"} x\n|malformed json message",
        "{\"kind\":\"teleport\",\"body\":\"BIG\"}\n|unknown message kind \"teleport\"",
      })
  void jsonRefusesALargeLineAsTheParserDoes(String testCase) {
    String[] parts = testCase.split("\\|", 2);
    byte[] bytes = parts[0].replace("BIG", BIG64).getBytes(StandardCharsets.UTF_8);
    ProtocolException error =
        assertThrows(
            ProtocolException.class,
            () -> Codec.named("json").decode(bytes, 0, bytes.length, new ArrayList<>()));
    assertTrue(error.getMessage().contains(parts[1]), error.getMessage());
  }

  @org.junit.jupiter.api.Test
  void jsonSkipsWhitespaceBetweenBase64GroupsAsJacksonDoes() throws ProtocolException {
    // Not what a parser of the whole line says (a raw tab in a string is not JSON), but what
    // Jackson's base64 reader does; the processor never writes either.
    Map<String, Object> payload = decodeJson("{\"kind\":\"event\",\"body\":\"aGk=\t aGk=\"}\n");
    assertEquals("68696869", payload.get("body"));
  }

  @org.junit.jupiter.api.Test
  void msgpackFramesCountTheKindByte() throws ProtocolException {
    byte[] bytes = frames(Codec.named("msgpack"), new Message(Protocol.READY, Map.of()));
    // length 2 (kind + empty map 0x80), kind 2.
    assertArrayEquals(new byte[] {0, 0, 0, 2, 2, (byte) 0x80}, bytes);
    assertEquals(
        "{\"kind\":\"ready\"}\n",
        new String(
            frames(Codec.named("json"), new Message(Protocol.READY, Map.of())),
            StandardCharsets.UTF_8));
  }

  /** A flatbuffers frame (with its length prefix) of a ping whose union type is {@code type}. */
  private static byte[] flatbuffersFrame(int type) {
    FlatBufferBuilder builder = new FlatBufferBuilder();
    int ping = Ping.createPing(builder, 1);
    Frame.finishFrameBuffer(builder, Frame.createFrame(builder, (byte) type, ping));
    return prefixed(builder.sizedByteArray());
  }

  private static byte[] prefixed(byte[] buffer) {
    return ByteBuffer.allocate(4 + buffer.length).putInt(buffer.length).put(buffer).array();
  }

  @org.junit.jupiter.api.Test
  void flatbuffersUnionCodesAreTheKindCodes() {
    assertEquals(Protocol.HELLO, ferrite.wire.Message.Hello);
    assertEquals(Protocol.READY, ferrite.wire.Message.Ready);
    assertEquals(Protocol.INIT_ERROR, ferrite.wire.Message.InitError);
    assertEquals(Protocol.EVENT, ferrite.wire.Message.Event);
    assertEquals(Protocol.RESPONSE, ferrite.wire.Message.Response);
    assertEquals(Protocol.LOG, ferrite.wire.Message.Log);
    assertEquals(Protocol.METRIC, ferrite.wire.Message.Metric);
    assertEquals(Protocol.PING, ferrite.wire.Message.Ping);
    assertEquals(Protocol.PONG, ferrite.wire.Message.Pong);
    assertEquals(Protocol.SHUTDOWN, ferrite.wire.Message.Shutdown);
  }

  @org.junit.jupiter.api.Test
  void flatbuffersFramesAreALengthThenTheBuffer() throws ProtocolException {
    byte[] bytes = frames(Codec.named("flatbuffers"), new Message(Protocol.READY, Map.of()));
    ByteBuffer frame = ByteBuffer.wrap(bytes);
    assertEquals(bytes.length - 4, frame.getInt());
    ByteBuffer buffer = frame.slice();
    assertTrue(Frame.FrameBufferHasIdentifier(buffer));
    assertEquals(ferrite.wire.Message.Ready, Frame.getRootAsFrame(buffer).messageType());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "empty|empty frame (length 0)",
        "huge|over the 268435456-byte limit",
        "short|4 bytes are too few for a buffer",
        "identifier|identifier is not FRT1",
        "root|malformed flatbuffers frame",
        "no table|malformed response message: the frame has no table",
        "truncated|malformed event message",
        "body length|malformed event message",
        "string length|malformed event message",
      })
  void flatbuffersRefusesMalformedFrames(String testCase) throws ProtocolException {
    String[] parts = testCase.split("\\|", 2);
    Codec codec = Codec.named("flatbuffers");
    byte[] body = "0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    byte[] event = frames(codec, FakeProcessor.event(1, "POST", "/", "a=b", body));
    byte[] bytes;
    switch (parts[0]) {
      case "empty" -> bytes = new byte[] {0, 0, 0, 0};
      case "huge" -> bytes = new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1};
      case "short" -> bytes = new byte[] {0, 0, 0, 4, 4, 0, 0, 0};
      case "identifier" -> {
        bytes = frames(codec, new Message(Protocol.READY, Map.of()));
        bytes[8] = 'X';
      }
      case "root" -> {
        bytes = frames(codec, new Message(Protocol.PING, Map.of("nonce", 1L)));
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 0x7fff_ffff);
      }
      case "no table" -> {
        FlatBufferBuilder builder = new FlatBufferBuilder();
        Frame.startFrame(builder);
        Frame.addMessageType(builder, ferrite.wire.Message.Response);
        Frame.finishFrameBuffer(builder, Frame.endFrame(builder));
        bytes = prefixed(builder.sizedByteArray());
      }
      case "truncated" -> {
        // The strings and the body are written first, so they lie at the buffer's end.
        bytes = Arrays.copyOf(event, event.length / 2);
        ByteBuffer.wrap(bytes).putInt(0, bytes.length - 4);
      }
      case "body length" -> {
        bytes = event;
        int at = indexOf(bytes, body);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(at - 4, 1 << 30);
      }
      case "string length" -> {
        // Past the frame's end but within the array the frame was read into.
        bytes = Arrays.copyOf(event, event.length + 64);
        int at = indexOf(bytes, "/?a=b".getBytes(StandardCharsets.UTF_8));
        ByteBuffer.wrap(bytes)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putInt(at - 4, event.length - at + 16);
      }
      default -> throw new IllegalArgumentException(parts[0]);
    }
    byte[] frame = bytes;
    int end = parts[0].equals("string length") ? event.length : frame.length;
    ProtocolException error =
        assertThrows(ProtocolException.class, () -> codec.decode(frame, 0, end, new ArrayList<>()));
    assertTrue(error.getMessage().contains(parts[1]), error.getMessage());
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }

  @org.junit.jupiter.api.Test
  void flatbuffersKeepsALogIdOfZeroAndLeavesOutAnAbsentOne() throws ProtocolException {
    Codec codec = Codec.named("flatbuffers");
    byte[] bytes =
        frames(
            codec,
            new Message(Protocol.LOG, Map.of("id", 0L, "level", "info", "message", "a")),
            new Message(Protocol.LOG, Map.of("level", "info", "message", "b", "fields", Map.of())));
    List<Message> out = new ArrayList<>();
    codec.decode(bytes, 0, bytes.length, out);
    assertEquals(0L, out.get(0).payload().get("id"));
    assertTrue(out.get(0).payload().containsKey("id"));
    assertEquals(false, out.get(1).payload().containsKey("id"));
    assertEquals(false, out.get(1).payload().containsKey("fields"));
  }

  @org.junit.jupiter.api.Test
  void flatbuffersWritesALoneSurrogateAsAQuestionMark() throws ProtocolException {
    Codec codec = Codec.named("flatbuffers");
    Map<String, Object> log = Map.of("level", "info", "message", "a\uD800b \uD83E\uDD80");
    byte[] bytes = frames(codec, new Message(Protocol.LOG, log));
    List<Message> out = new ArrayList<>();
    codec.decode(bytes, 0, bytes.length, out);
    assertEquals("a?b \uD83E\uDD80", out.get(0).payload().get("message"));
  }

  @org.junit.jupiter.api.Test
  void flatbuffersLeavesTheBufferAsItWasWhenAMessageCannotBeEncoded() throws ProtocolException {
    Codec codec = Codec.named("flatbuffers");
    FrameBuffer out = new FrameBuffer();
    codec.encode(new Message(Protocol.READY, Map.of()), out);
    int size = out.size();
    ProtocolException error =
        assertThrows(
            ProtocolException.class,
            () -> codec.encode(Protocol.response(1, -1, Map.of(), "", new byte[9]), out));
    assertTrue(error.getMessage().contains("status -1 is not a uint32"), error.getMessage());
    assertEquals(size, out.size());
    codec.encode(response(2, new byte[3]), out);
    List<Message> decoded = new ArrayList<>();
    assertEquals(out.size(), codec.decode(out.array(), 0, out.size(), decoded));
    assertEquals(2L, decoded.get(1).payload().get("id"));
  }

  @org.junit.jupiter.api.Test
  void flatbuffersCopiesTheBodyOutOfTheReadBuffer() throws ProtocolException {
    // The connection reuses its read buffer for the next frames: the handler's body must not be a
    // view of it.
    Codec codec = Codec.named("flatbuffers");
    byte[] body = {1, 2, 3, 4, 5};
    byte[] bytes = frames(codec, FakeProcessor.event(1, "POST", "/", "", body));
    List<Message> out = new ArrayList<>();
    codec.decode(bytes, 0, bytes.length, out);
    Arrays.fill(bytes, (byte) 0);
    assertArrayEquals(body, (byte[]) out.get(0).payload().get("body"));
  }
}
