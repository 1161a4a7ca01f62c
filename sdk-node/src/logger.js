"use strict";
/**
 * `context.logger`: nuclio's Node.js logger API, sending each line to a sink.
 *
 * In a wrapper the sink writes a `log` message to the processor at once, tagged with the
 * event being handled; elsewhere (a handler's own unit tests) lines go to stderr. Lines
 * below the level are dropped before any formatting, so a disabled `debug` costs one
 * comparison.
 */

const util = require("node:util");

const { setOwn } = require("./data");

/** Level names as on the wire, and their order. */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 };
const ALIASES = { warning: "warn", err: "error", trace: "debug" };

/** The rank of a level name such as `FERRITE_LOG_LEVEL`'s (`warning` too). */
function parseLevel(name) {
  let key = String(name).trim().toLowerCase();
  key = ALIASES[key] ?? key;
  const rank = Object.hasOwn(LEVELS, key) ? LEVELS[key] : undefined;
  if (rank === undefined) {
    throw new Error(
      `unknown log level ${JSON.stringify(name)}: expected one of ${Object.keys(LEVELS).join(", ")}`,
    );
  }
  return rank;
}

function stderrSink(level, message, fields) {
  const tail = fields ? ` ${JSON.stringify(fields)}` : "";
  process.stderr.write(`[${level}] ${message}${tail}\n`);
}

const MAX_DEPTH = 32;

/**
 * `value` as JSON-like data every codec carries (structured log fields): text keys,
 * finite numbers, no `undefined`; Dates as ISO text, bytes as UTF-8 text, BigInts,
 * symbols and functions as text, Maps as objects, Sets as arrays, cycles cut.
 */
function plain(value, seen = new Set(), depth = 0) {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : String(value);
    case "undefined":
      return null;
    case "bigint":
      return Number.isSafeInteger(Number(value))
        ? Number(value)
        : String(value);
    case "symbol":
    case "function":
      return String(value);
    default:
      break;
  }
  if (value === null) return null;
  if (seen.has(value)) return "[Circular]";
  if (depth >= MAX_DEPTH) return "[Too deep]";
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  }
  if (ArrayBuffer.isView(value)) {
    return Buffer.from(
      value.buffer,
      value.byteOffset,
      value.byteLength,
    ).toString("utf8");
  }
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  seen.add(value);
  try {
    if (Array.isArray(value) || value instanceof Set) {
      return Array.from(value, (item) => plain(item, seen, depth + 1));
    }
    if (value instanceof Map) {
      const out = {};
      for (const [key, item] of value)
        out[String(key)] = plain(item, seen, depth + 1);
      return out;
    }
    if (typeof value.toJSON === "function") {
      return plain(value.toJSON(), seen, depth + 1);
    }
    const out = {};
    for (const key of Object.keys(value))
      out[key] = plain(value[key], seen, depth + 1);
    return out;
  } finally {
    seen.delete(value);
  }
}

function isFieldsObject(value) {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    !(value instanceof Error)
  );
}

function formatMessage(message, args) {
  if (args.length === 0) {
    return typeof message === "string" ? message : util.format(message);
  }
  return util.format(message, ...args);
}

/**
 * Fields from what follows the message: one object (nuclio's form), or key, value pairs
 * (`infoWith("saved", "id", 7, "ms", 12)`).
 */
function fieldsOf(args) {
  if (args.length === 0) return undefined;
  if (args.length === 1 && isFieldsObject(args[0])) return args[0];
  const fields = {};
  for (let i = 0; i < args.length; i += 2) {
    setOwn(fields, String(args[i]), args[i + 1]);
  }
  return fields;
}

/**
 * nuclio's Node.js logger: `debug/info/warn/error(message, ...args)` and
 * `debugWith/infoWith/warnWith/errorWith(message, fields)`. For the plain methods one
 * object after the message is its fields, as in nuclio; other arguments are formatted
 * into the message like `console.log` does.
 *
 * `eventId` is set on the per-event logger the wrapper gives each event, so each line
 * carries it.
 */
class Logger {
  constructor(sink = stderrSink, level = "debug") {
    this._sink = sink;
    this._min = parseLevel(level);
    this._bound = undefined;
    this.eventId = undefined;
  }

  /** The lowest level sent. */
  get level() {
    return Object.keys(LEVELS).find((name) => LEVELS[name] === this._min);
  }

  set level(name) {
    this._min = parseLevel(name);
  }

  /** Whether a line at `level` would be sent, to skip costly arguments. */
  enabled(level) {
    return parseLevel(level) >= this._min;
  }

  /** Adds fields to every later line of this logger (a call's own fields win). */
  bind(fields) {
    this._bound = { ...this._bound, ...fields };
  }

  /** A logger whose lines carry `eventId`, sharing this one's sink, level and fields. */
  forEvent(eventId) {
    const child = Object.create(this);
    child.eventId = eventId;
    return child;
  }

  debug(message, ...args) {
    if (this._min <= 10) this._plain("debug", message, args);
  }

  info(message, ...args) {
    if (this._min <= 20) this._plain("info", message, args);
  }

  warn(message, ...args) {
    if (this._min <= 30) this._plain("warn", message, args);
  }

  error(message, ...args) {
    if (this._min <= 40) this._plain("error", message, args);
  }

  debugWith(message, ...args) {
    if (this._min <= 10) this._emit("debug", message, fieldsOf(args));
  }

  infoWith(message, ...args) {
    if (this._min <= 20) this._emit("info", message, fieldsOf(args));
  }

  warnWith(message, ...args) {
    if (this._min <= 30) this._emit("warn", message, fieldsOf(args));
  }

  errorWith(message, ...args) {
    if (this._min <= 40) this._emit("error", message, fieldsOf(args));
  }

  _plain(level, message, args) {
    if (args.length === 1 && isFieldsObject(args[0])) {
      this._emit(level, message, args[0]);
    } else {
      this._emit(level, formatMessage(message, args), undefined);
    }
  }

  _emit(level, message, fields) {
    const text =
      typeof message === "string" ? message : formatMessage(message, []);
    let all = fields;
    if (this._bound) all = fields ? { ...this._bound, ...fields } : this._bound;
    if (all && Object.keys(all).length === 0) all = undefined;
    this._sink(level, text, all, this.eventId);
  }
}

Logger.prototype.warning = Logger.prototype.warn;
Logger.prototype.warningWith = Logger.prototype.warnWith;

module.exports = { LEVELS, Logger, parseLevel, plain };
