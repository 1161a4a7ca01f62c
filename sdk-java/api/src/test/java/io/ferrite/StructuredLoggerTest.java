package io.ferrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StructuredLoggerTest {
  record Line(Level level, String message, Map<String, Object> fields) {}

  private final List<Line> lines = new ArrayList<>();

  private StructuredLogger logger(Level level) {
    return new StructuredLogger(level, (l, m, f) -> lines.add(new Line(l, m, f)));
  }

  @Test
  void formatsArgumentsLikeStringFormat() {
    logger(Level.DEBUG).info("%s not responding after %d seconds", "db", 7);
    assertEquals(new Line(Level.INFO, "db not responding after 7 seconds", null), lines.get(0));
  }

  @Test
  void aBadPatternNeverThrows() {
    logger(Level.DEBUG).warn("%d apples", "no");
    assertEquals("%d apples [no]", lines.get(0).message());
    logger(Level.DEBUG).error("100% sure");
    assertEquals("100% sure", lines.get(1).message());
  }

  @Test
  void structuredVarsAreAlternatingNamesAndValues() {
    logger(Level.DEBUG).infoWith("event processed", "time", 0.3, "count", 9009, "dangling");
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("time", 0.3);
    fields.put("count", 9009L);
    fields.put("dangling", null);
    assertEquals(new Line(Level.INFO, "event processed", fields), lines.get(0));
    logger(Level.DEBUG).debugWith("no fields");
    assertNull(lines.get(1).fields());
  }

  @Test
  void linesBelowTheLevelAreDropped() {
    StructuredLogger logger = logger(Level.WARN);
    logger.debug("d");
    logger.info("i");
    logger.infoWith("i", "k", 1);
    logger.warnWith("w", "k", 1);
    logger.error("e");
    assertEquals(List.of(Level.WARN, Level.ERROR), lines.stream().map(Line::level).toList());
  }

  @Test
  void levelNamesParse() {
    assertEquals(Level.WARN, Level.parse(" Warning "));
    assertEquals(Level.DEBUG, Level.parse("trace"));
    assertEquals("error", Level.parse("ERR").wireName());
    assertThrows(IllegalArgumentException.class, () -> Level.parse("loud"));
  }

  @Test
  void aWorkerContextKeepsUserData() {
    WorkerContext context = new WorkerContext(logger(Level.INFO), 3, "fn");
    context.getUserData().put("k", 1);
    assertEquals(1, context.getUserData().get("k"));
    assertEquals(3, context.getWorkerId());
    assertEquals("fn", context.getFunctionName());
  }
}
