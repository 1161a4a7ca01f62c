package io.ferrite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventTest {
  private final Event event =
      Event.builder()
          .id(42)
          .trigger("http", "web")
          .method("PUT")
          .path("/a/b")
          .url("/a/b?x=1")
          .fields(Map.of("x", "1", "n", "7"))
          .headers(Map.of("X-Custom-Header", "Abc", "Content-Length", "12"))
          .contentType("text/plain")
          .body("payload")
          .timestamp(1_700_000_000_123L)
          .build();

  @Test
  void carriesTheRequest() {
    assertEquals("42", event.getID());
    assertEquals("PUT", event.getMethod());
    assertEquals("/a/b", event.getPath());
    assertEquals("/a/b?x=1", event.getURL());
    assertEquals("text/plain", event.getContentType());
    assertArrayEquals("payload".getBytes(StandardCharsets.UTF_8), event.getBody());
    assertEquals(1_700_000_000_123L, event.getTimestamp().getTime());
    assertNull(event.getDeadline());
  }

  @Test
  void headersAreFoundInAnyCase() {
    assertEquals("Abc", event.getHeader("x-custom-header"));
    assertEquals("Abc", event.getHeaderString("X-CUSTOM-header"));
    assertArrayEquals(
        "Abc".getBytes(StandardCharsets.UTF_8), event.getHeaderBytes("X-Custom-Header"));
    assertEquals(12, event.getHeaderLong("content-length"));
    assertEquals(0, event.getHeaderLong("absent"));
    assertNull(event.getHeader("absent"));
    assertNull(event.getHeaderBytes("absent"));
    assertEquals(Map.of("x-custom-header", "Abc", "content-length", "12"), event.getHeaders());
  }

  @Test
  void fieldsAreTheQuery() {
    assertEquals("1", event.getField("x"));
    assertEquals("1", event.getFieldString("x"));
    assertEquals(7, event.getFieldLong("n"));
    assertNull(event.getFieldString("X"));
    assertThrows(UnsupportedOperationException.class, () -> event.getFields().put("y", "2"));
  }

  @Test
  void triggerInfoIsNucliosShape() {
    assertEquals("http", event.getTriggerInfo().getKindName());
    assertEquals("sync", event.getTriggerInfo().getClassName());
    assertEquals("web", event.getTriggerInfo().getName());
  }

  @Test
  void defaultsAreAnEmptyGet() {
    Event empty = Event.builder().build();
    assertEquals("GET", empty.getMethod());
    assertEquals("/", empty.getURL());
    assertEquals(0, empty.getBody().length);
    assertEquals("", empty.getContentType());
    assertEquals(0, empty.getShardID());
    assertEquals("", empty.getType());
  }

  @Test
  void aNumberFieldThatIsNotANumberSaysSo() {
    Event bad = Event.builder().fields(Map.of("n", "seven")).build();
    assertThrows(NumberFormatException.class, () -> bad.getFieldLong("n"));
  }
}
