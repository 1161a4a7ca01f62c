"use strict";

const assert = require("node:assert/strict");
const { it } = require("node:test");

const { Logger, parseLevel, plain } = require("../src/logger");

function capture(level = "debug") {
  const lines = [];
  const logger = new Logger((...line) => lines.push(line), level);
  return { lines, logger };
}

it("sends lines at or above its level", () => {
  const { lines, logger } = capture("warn");
  logger.debug("d");
  logger.info("i");
  logger.warn("w");
  logger.warning("w2");
  logger.error("e");
  assert.deepEqual(
    lines.map(([level, message]) => `${level} ${message}`),
    ["warn w", "warn w2", "error e"],
  );
  assert.equal(logger.level, "warn");
  assert.ok(logger.enabled("error"));
  assert.ok(!logger.enabled("info"));
});

it("takes fields as nuclio does, or as pairs, and formats other arguments", () => {
  const { lines, logger } = capture();
  logger.info("plain", { a: 1 });
  logger.infoWith("with", { b: 2 });
  logger.debugWith("pairs", "c", 3, "d");
  logger.warn("count %d of %s", 2, "three");
  logger.error("an error", new Error("x"));
  assert.deepEqual(lines.slice(0, 4), [
    ["info", "plain", { a: 1 }, undefined],
    ["info", "with", { b: 2 }, undefined],
    ["debug", "pairs", { c: 3, d: undefined }, undefined],
    ["warn", "count 2 of three", undefined, undefined],
  ]);
  assert.match(lines[4][1], /^an error Error: x/);
});

it("tags an event's lines with its id and keeps bound fields", () => {
  const { lines, logger } = capture();
  logger.bind({ service: "s" });
  const child = logger.forEvent(2 ** 33);
  child.info("in event", { n: 1 });
  logger.info("outside");
  assert.deepEqual(lines, [
    ["info", "in event", { service: "s", n: 1 }, 2 ** 33],
    ["info", "outside", { service: "s" }, undefined],
  ]);
});

it("parses level names, warning and trace too", () => {
  assert.equal(parseLevel("WARNING"), parseLevel("warn"));
  assert.equal(parseLevel("trace"), parseLevel("debug"));
  assert.throws(() => parseLevel("loud"), /unknown log level "loud"/);
});

it("makes fields plain JSON-like data", () => {
  const cycle = { name: "c" };
  const error = new RangeError("r");
  cycle.self = cycle;
  assert.deepEqual(
    plain({
      nan: NaN,
      inf: -Infinity,
      big: 2n ** 70n,
      small: 5n,
      date: new Date(0),
      bytes: Buffer.from("hi"),
      map: new Map([[1, "one"]]),
      set: new Set([1]),
      undef: undefined,
      fn: function named() {},
      cycle,
      error,
    }),
    {
      nan: "NaN",
      inf: "-Infinity",
      big: "1180591620717411303424",
      small: 5,
      date: "1970-01-01T00:00:00.000Z",
      bytes: "hi",
      map: { 1: "one" },
      set: [1],
      undef: null,
      fn: "function named() {}",
      cycle: { name: "c", self: "[Circular]" },
      error: { name: "RangeError", message: "r", stack: error.stack },
    },
  );
});
