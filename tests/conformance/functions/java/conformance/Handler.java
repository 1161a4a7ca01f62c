package conformance;

import io.ferrite.Context;
import io.ferrite.Event;
import io.ferrite.EventHandler;
import io.ferrite.Json;
import io.ferrite.Logger;
import io.ferrite.Response;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The conformance function for the Java runtime: one handler, one route per case. Written as a
 * nuclio Java handler is, with ferrite's imports.
 */
public class Handler implements EventHandler {
  private final AtomicInteger initCalls = new AtomicInteger();
  private final AtomicInteger events = new AtomicInteger();

  @Override
  public void initContext(Context context) {
    initCalls.incrementAndGet();
  }

  @Override
  public Object handleEvent(Context context, Event event) throws Exception {
    events.incrementAndGet();
    switch (event.getPath()) {
      case "/return-text":
        return "hello, world";
      case "/return-bytes":
        return new byte[] {0x00, 0x01, (byte) 0xfe, (byte) 0xff};
      case "/return-json":
        return Map.of(
            "name", "ferrite", "count", 3, "nested", Map.of("ok", true), "list", List.of(1, "two"));
      case "/return-response":
        return new Response()
            .setStatusCode(201)
            .setHeaders(Map.of("X-Ferrite-Case", "return-response"))
            .setContentType("text/x-ferrite")
            .setBody("created");
      case "/return-status-pair":
        return Map.entry(202, "accepted");
      case "/return-nothing":
        return null;
      case "/echo":
        return new Response().setContentType("application/octet-stream").setBody(event.getBody());
      case "/metadata":
        return metadata(event);
      case "/json-body":
        Map<?, ?> body = (Map<?, ?>) Json.parse(event.getBody());
        return Map.of(
            "a_plus_one", ((Number) body.get("a")).intValue() + 1, "tags", body.get("tags"));
      case "/non-ascii":
        return "héllo wörld ✓ 日本 | " + new String(event.getBody(), StandardCharsets.UTF_8);
      case "/raise":
        throw new IllegalStateException("conformance boom");
      case "/log":
        Logger logger = context.getLogger();
        logger.debug("conformance-debug");
        logger.info("conformance-info");
        logger.warn("conformance-warn");
        logger.error("conformance-error");
        logger.infoWith("conformance-structured", "answer", 42, "who", "java");
        return "logged";
      case "/env":
        String value = System.getenv(event.getFieldString("name"));
        return value == null ? "" : value;
      case "/state":
        return Map.of(
            "worker", context.getWorkerId(),
            "init_calls", initCalls.get(),
            "events", events.get());
      case "/noise":
        System.out.println(
            "conformance-stdout-noise \u0000\u0000\u0000\u0005 {\"kind\":\"response\"}");
        System.err.println("conformance-stderr-noise");
        return "quiet";
      case "/exit":
        System.exit(3);
        return null;
      case "/sleep":
        double seconds = Double.parseDouble(event.getFieldString("seconds"));
        Thread.sleep((long) (seconds * 1000));
        return Map.of("worker", context.getWorkerId(), "slept", seconds);
      default:
        return new Response().setStatusCode(404).setBody("no case at " + event.getPath());
    }
  }

  private static Map<String, Object> metadata(Event event) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("method", event.getMethod());
    out.put("path", event.getPath());
    out.put("url", event.getURL());
    out.put("query", event.getFields());
    out.put("custom_header", event.getHeader("x-CUSTOM-header"));
    out.put("content_type", event.getContentType());
    out.put("trigger_kind", event.getTriggerInfo().getKindName());
    out.put("body", new String(event.getBody(), StandardCharsets.UTF_8));
    out.put("has_id", !event.getID().isEmpty());
    return out;
  }
}
