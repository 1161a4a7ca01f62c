package io.ferrite.wrapper.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import io.ferrite.Json;
import io.ferrite.wrapper.Protocol;
import io.ferrite.wrapper.Protocol.Message;
import io.ferrite.wrapper.Protocol.ProtocolException;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The golden wire vectors of {@code schemas/testdata/} (see the README there), for every codec:
 * each vector decodes to the message its JSON describes, and that message, encoded by the codec and
 * decoded again, is the same message. Every codec of this wrapper reads and writes every kind, so
 * no vector is skipped.
 */
class GoldenVectorTest {
  /** From the module's directory, where Maven runs the tests. */
  private static final Path VECTORS = Path.of("../../schemas/testdata");

  /** The file each codec's vectors are in. */
  private static final Map<String, String> EXTENSIONS =
      Map.of("json", ".json", "msgpack", ".msgpack", "flatbuffers", ".fb");

  /** The protocol's fields of every kind, with how each compares. */
  private static final Map<String, Map<String, String>> FIELDS = new HashMap<>();

  static {
    fields(
        "hello",
        "protocol:uint token:str runtime:str runtime_version:str pid:uint concurrency:uint");
    fields("ready", "");
    fields("init_error", "message:str detail:optional");
    fields(
        "event",
        "id:uint trigger:trigger method:str path:str url:str query:map headers:map"
            + " content_type:str body:bin timestamp:uint deadline:uint");
    fields("response", "id:uint status:uint headers:map content_type:str body:bin error:optional");
    fields("log", "id:optional level:str message:str fields:json");
    fields("metric", "name:str value:float labels:map");
    fields("ping", "nonce:uint");
    fields("pong", "nonce:uint");
    fields("shutdown", "");
  }

  private static void fields(String kind, String spec) {
    Map<String, String> types = new LinkedHashMap<>();
    for (String field : spec.split(" ")) {
      if (!field.isEmpty()) {
        String[] parts = field.split(":");
        types.put(parts[0], parts[1]);
      }
    }
    FIELDS.put(kind, types);
  }

  @TestFactory
  Stream<DynamicTest> everyVectorInEveryCodec() throws IOException {
    assertTrue(
        Files.isDirectory(VECTORS), "no golden vectors at " + VECTORS.toAbsolutePath().normalize());
    List<String> names;
    try (Stream<Path> files = Files.list(VECTORS)) {
      names =
          files
              .map(file -> file.getFileName().toString())
              .filter(file -> file.endsWith(".json"))
              .map(file -> file.substring(0, file.length() - ".json".length()))
              .sorted()
              .toList();
    }
    assertFalse(names.isEmpty(), "no vectors in " + VECTORS);
    // Every kind has a vector, so a kind cannot drop out of the test unnoticed.
    List<Object> kinds = new ArrayList<>();
    for (String name : names) {
      kinds.add(parse(name).kind());
    }
    for (int kind = Protocol.HELLO; kind <= Protocol.SHUTDOWN; kind++) {
      assertTrue(kinds.contains(kind), "no vector of kind " + Protocol.name(kind));
    }
    List<DynamicTest> tests = new ArrayList<>();
    for (String codec : new TreeMap<>(Codec.ALL).keySet()) {
      assertTrue(EXTENSIONS.containsKey(codec), "no vectors for codec " + codec);
      for (String name : names) {
        tests.add(dynamicTest(codec + " decodes " + name, () -> decodes(codec, name)));
        tests.add(dynamicTest(codec + " re-encodes " + name, () -> reencodes(codec, name)));
      }
    }
    return tests.stream();
  }

  /** Step 1: the vector, framed as on the wire, decodes to the message of its JSON. */
  private static void decodes(String codec, String name) throws Exception {
    byte[] file = Files.readAllBytes(VECTORS.resolve(name + EXTENSIONS.get(codec)));
    byte[] frame =
        codec.equals("json")
            ? file
            : ByteBuffer.allocate(4 + file.length).putInt(file.length).put(file).array();
    assertEquals(canonical(parse(name)), canonical(decodeOne(codec, frame)), name);
  }

  /** Step 2: the JSON's message, encoded by the codec and decoded again, is the same message. */
  private static void reencodes(String codec, String name) throws Exception {
    Message message = parse(name);
    FrameBuffer out = new FrameBuffer();
    Codec.named(codec).encode(message, out);
    byte[] frame = java.util.Arrays.copyOf(out.array(), out.size());
    assertEquals(canonical(message), canonical(decodeOne(codec, frame)), name);
  }

  private static Message decodeOne(String codec, byte[] frame) throws ProtocolException {
    List<Message> out = new ArrayList<>();
    assertEquals(frame.length, Codec.named(codec).decode(frame, 0, frame.length, out));
    assertEquals(1, out.size());
    return out.get(0);
  }

  /** The vector's JSON as the message a wrapper holds: its body as bytes. */
  private static Message parse(String name) throws IOException {
    @SuppressWarnings("unchecked")
    Map<String, Object> payload =
        new HashMap<>(
            (Map<String, Object>) Json.parse(Files.readAllBytes(VECTORS.resolve(name + ".json"))));
    int kind = Protocol.kind((String) payload.remove("kind"));
    assertTrue(kind != 0, name + ": unknown kind");
    Object body = payload.get("body");
    if (body != null) {
      payload.put("body", Base64.getDecoder().decode((String) body));
    }
    return new Message(kind, payload);
  }

  /**
   * The message as the README compares it: the kind and every field of the protocol's message, a
   * missing one as its default (optional ones as absent), bodies as hex, numbers by value.
   */
  private static Map<String, Object> canonical(Message message) {
    String kind = Protocol.name(message.kind());
    Map<String, Object> out = new TreeMap<>();
    out.put("kind", kind);
    for (Map.Entry<String, String> field : FIELDS.get(kind).entrySet()) {
      Object value = message.payload().get(field.getKey());
      out.put(field.getKey(), canonical(field.getValue(), value));
    }
    return out;
  }

  private static Object canonical(String type, Object value) {
    switch (type) {
      case "str":
        return value == null ? "" : (String) value;
      case "optional":
        return value == null ? null : value instanceof String ? value : number(value);
      case "uint":
        return value == null ? BigInteger.ZERO : number(value);
      case "float":
        return value == null ? 0.0 : ((Number) value).doubleValue();
      case "bin":
        return value == null ? "" : HexFormat.of().formatHex((byte[]) value);
      case "map":
        return value == null ? Map.of() : new TreeMap<>((Map<?, ?>) value);
      case "trigger":
        Map<?, ?> trigger = value == null ? Map.of() : (Map<?, ?>) value;
        return Map.of(
            "kind", canonical("str", trigger.get("kind")),
            "name", canonical("str", trigger.get("name")));
      case "json":
        return value == null ? Map.of() : json(value);
      default:
        throw new IllegalArgumentException(type);
    }
  }

  private static BigInteger number(Object value) {
    return new BigDecimal(value.toString()).toBigIntegerExact();
  }

  /** A JSON value with every number as a BigDecimal, so that 3, 3L and 3.0 compare by value. */
  private static Object json(Object value) {
    if (value instanceof Map) {
      Map<Object, Object> out = new TreeMap<>();
      ((Map<?, ?>) value).forEach((key, item) -> out.put(key, json(item)));
      return out;
    }
    if (value instanceof List) {
      return ((List<?>) value).stream().map(GoldenVectorTest::json).toList();
    }
    if (value instanceof Number) {
      return new BigDecimal(value.toString()).stripTrailingZeros();
    }
    return value;
  }
}
