package io.ferrite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class WireResponseTest {
  private static String text(WireResponse response) {
    return new String(response.body(), StandardCharsets.UTF_8);
  }

  @Test
  void textIsPlainUtf8() {
    WireResponse response = WireResponse.of("héllo");
    assertEquals(200, response.status());
    assertEquals("text/plain; charset=utf-8", response.contentType());
    assertEquals("héllo", text(response));
    assertEquals("sb", text(WireResponse.of(new StringBuilder("sb"))));
  }

  @Test
  void bytesAreOctetStream() {
    WireResponse response = WireResponse.of(new byte[] {0, 1, (byte) 0xff});
    assertEquals("application/octet-stream", response.contentType());
    assertArrayEquals(new byte[] {0, 1, (byte) 0xff}, response.body());
    ByteBuffer buffer = ByteBuffer.wrap(new byte[] {9, 8, 7});
    buffer.get();
    assertArrayEquals(new byte[] {8, 7}, WireResponse.of(buffer).body());
    assertEquals(1, buffer.position(), "the handler's buffer is not consumed");
  }

  @Test
  void mapsListsArraysAndRecordsAreJson() {
    assertEquals("application/json", WireResponse.of(Map.of("a", 1)).contentType());
    assertEquals("{\"a\":1}", text(WireResponse.of(Map.of("a", 1))));
    assertEquals("[1,\"two\"]", text(WireResponse.of(List.of(1, "two"))));
    assertEquals("[1,2]", text(WireResponse.of(new int[] {1, 2})));
    assertEquals("{\"x\":1,\"y\":\"b\"}", text(WireResponse.of(new Point(1, "b"))));
  }

  record Point(int x, String y) {}

  @Test
  void nullIsAnEmpty200() {
    WireResponse response = WireResponse.of(null);
    assertEquals(200, response.status());
    assertEquals("", response.contentType());
    assertEquals(0, response.body().length);
  }

  @Test
  void anEntryIsStatusAndBody() {
    WireResponse response = WireResponse.of(Map.entry(202, "accepted"));
    assertEquals(202, response.status());
    assertEquals("accepted", text(response));
    assertEquals("text/plain; charset=utf-8", response.contentType());
    assertEquals("{}", text(WireResponse.of(Map.entry(404, Map.of()))));
    IllegalArgumentException bad =
        assertThrows(IllegalArgumentException.class, () -> WireResponse.of(Map.entry("a", "b")));
    assertTrue(bad.getMessage().contains("(status, body)"), bad.getMessage());
  }

  @Test
  void aResponseSetsEverything() {
    Response given =
        new Response()
            .setStatusCode(201)
            .setHeaders(Map.of("X-Case", "r", "Retry-After", 3))
            .setContentType("text/x-ferrite")
            .setBody("created");
    WireResponse response = WireResponse.of(given);
    assertEquals(201, response.status());
    assertEquals("text/x-ferrite", response.contentType());
    assertEquals(Map.of("X-Case", "r", "Retry-After", "3"), response.headers());
    assertEquals("created", text(response));
  }

  @Test
  void aResponseContentTypeComesFromItsHeaderOrBody() {
    WireResponse fromHeader =
        WireResponse.of(new Response().setHeader("Content-Type", "text/csv").setBody("a,b"));
    assertEquals("text/csv", fromHeader.contentType());
    assertTrue(fromHeader.headers().isEmpty());
    assertEquals(
        "application/json", WireResponse.of(new Response().setBody(List.of(1))).contentType());
    assertEquals(
        "application/octet-stream",
        WireResponse.of(new Response().setBody(new byte[1])).contentType());
    assertEquals("application/octet-stream", new Response().setBody(new byte[1]).getContentType());
  }

  @Test
  void statusOutsideTheRangeIsRefused() {
    assertThrows(
        IllegalArgumentException.class, () -> WireResponse.of(new Response().setStatusCode(42)));
    assertThrows(IllegalArgumentException.class, () -> WireResponse.of(Map.entry(1000, "")));
  }

  @Test
  void aFutureIsAwaited() {
    assertEquals("later", text(WireResponse.of(CompletableFuture.completedFuture("later"))));
    CompletableFuture<String> failed =
        CompletableFuture.failedFuture(new IllegalStateException("no"));
    CompletionException error =
        assertThrows(CompletionException.class, () -> WireResponse.of(failed));
    assertTrue(error.getCause() instanceof IllegalStateException);
  }

  @Test
  void anythingElseIsItsText() {
    assertEquals("42", text(WireResponse.of(42)));
    assertEquals("true", text(WireResponse.of(true)));
  }
}
