package io.ferrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class JsonTest {
  enum Color {
    RED
  }

  enum Volume {
    QUIET {
      @Override
      public String toString() {
        return "shh";
      }
    }
  }

  /** A class with a getter, which jackson-jr alone would write as a bean. */
  public static final class Bean {
    public int getA() {
      return 1;
    }
  }

  @Test
  void encodesPlainValues() {
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("s", "ż\n\"");
    value.put("i", 1);
    value.put("l", 1L << 40);
    value.put("d", 2.5);
    value.put("b", true);
    value.put("n", null);
    value.put("list", List.of(1, "two"));
    value.put("big", new BigInteger("123456789012345678901234567890"));
    value.put("color", Color.RED);
    value.put("when", Date.from(Instant.ofEpochSecond(0)));
    value.put("maybe", Optional.empty());
    value.put("bytes", new byte[] {1, 2, 3});
    assertEquals(
        "{\"s\":\"ż\\n\\\"\",\"i\":1,\"l\":1099511627776,\"d\":2.5,\"b\":true,\"n\":null,"
            + "\"list\":[1,\"two\"],\"big\":123456789012345678901234567890,\"color\":\"RED\","
            + "\"when\":\"1970-01-01T00:00:00Z\",\"maybe\":null,\"bytes\":\"AQID\"}",
        Json.stringify(value));
    assertEquals("ż", new String(Json.encode("ż"), StandardCharsets.UTF_8).replace("\"", ""));
  }

  @Test
  void refusesWhatIsNotJson() {
    assertThrows(IllegalArgumentException.class, () -> Json.encode(Double.NaN));
    IllegalArgumentException error =
        assertThrows(IllegalArgumentException.class, () -> Json.encode(new Object()));
    assertTrue(error.getMessage().contains("java.lang.Object"), error.getMessage());
  }

  @Test
  void keepsItsOwnRulesWhereJacksonJrHasOthers() {
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("enum", Volume.QUIET);
    value.put("day", LocalDate.of(2024, 2, 29));
    value.put("some", Optional.of(List.of(1)));
    value.put("count", new AtomicLong(5));
    value.put("float", 1.5f);
    Iterable<Integer> iterable = () -> List.of(1, 2).iterator();
    value.put("iterable", iterable);
    assertEquals(
        "{\"enum\":\"QUIET\",\"day\":\"2024-02-29\",\"some\":[1],\"count\":5,\"float\":1.5,"
            + "\"iterable\":[1,2]}",
        Json.stringify(value));
    IllegalArgumentException bean =
        assertThrows(IllegalArgumentException.class, () -> Json.encode(List.of(new Bean())));
    assertTrue(bean.getMessage().contains(Bean.class.getName()), bean.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> Json.encode(Map.of("x", List.of(Float.POSITIVE_INFINITY))));
  }

  @Test
  void parsesDocuments() {
    Object value =
        Json.parse("{\"a\": 41, \"tags\": [\"x\", 1.5, null, true], \"big\": 12345678901}");
    Map<?, ?> map = (Map<?, ?>) value;
    assertEquals(41, map.get("a"));
    assertEquals(Arrays.asList("x", 1.5, null, true), map.get("tags"));
    assertEquals(12345678901L, map.get("big"));
    assertEquals(List.of("a", "tags", "big"), List.copyOf(map.keySet()));
    assertNull(Json.parse("null"));
    assertEquals(Map.of("a", 2), Json.parse("{\"a\": 1, \"a\": 2}"));
    assertEquals("ż", Json.parse("\"ż\"".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void malformedDocumentsSaySo() {
    for (String bad : new String[] {"", "{", "[1,]", "1 2", "{\"a\" 1}"}) {
      IllegalArgumentException error =
          assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
      assertTrue(error.getMessage().startsWith("malformed JSON"), error.getMessage());
    }
  }

  @Test
  void plainKeepsOnlyJsonLikeData() {
    assertEquals(42L, Json.plain(42));
    assertEquals("NaN", Json.plain(Double.NaN));
    assertEquals(
        "123456789012345678901234567890",
        Json.plain(new BigInteger("123456789012345678901234567890")));
    assertEquals(List.of(1L, "a"), Json.plain(new Object[] {1, "a"}));
    assertEquals(Map.of("1", List.of(2L)), Json.plain(Map.of(1, List.of(2))));
    assertEquals("RED", Json.plain(Color.RED));
    Object other = new Object();
    assertEquals(other.toString(), Json.plain(other));
  }
}
