"use strict";
/**
 * The json codec: one JSON object per `\n`-ended line, `"kind"` naming the message, bin
 * fields as standard base64 (`schemas/PROTOCOL.md`). Lines with a large body take a
 * faster way than JSON.parse and JSON.stringify of the whole line; they give the same.
 */

const {
  BIN_FIELDS,
  FrameTooLarge,
  KIND_CODES,
  KIND_NAMES,
  MAX_FRAME_LEN,
  ProtocolError,
} = require("../protocol");
const { asBuffer, setOwn } = require("../sdk");
const { ChunkJoiner } = require("./chunks");

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The bytes of standard base64 with padding, or undefined when `text` is not that.
 *
 * `Buffer.from(text, "base64")` is lenient (it skips characters it does not know and
 * takes the url-safe alphabet too), and the regex that is strict runs at a few ns a
 * character: 7 ms for a 1 MiB body. So the bytes are decoded first and encoded back:
 * when that gives `text` again, `text` was valid. Only text that is not the canonical
 * encoding of its bytes (an error, or stray bits before the padding, which the regex
 * lets pass) is left for the regex to decide.
 */
function strictBase64(text) {
  if (text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, "base64");
  if (bytes.toString("base64") === text || BASE64.test(text)) return bytes;
  return undefined;
}

/** Standard base64 with padding, strictly: anything else is a protocol error. */
function decodeBase64(text, name, field) {
  if (typeof text !== "string") {
    throw new ProtocolError(
      `malformed ${name} message: ${field} is not a string`,
    );
  }
  const bytes = strictBase64(text);
  if (bytes === undefined) {
    throw new ProtocolError(
      `malformed ${name} message: ${field} is not valid base64`,
    );
  }
  return bytes;
}

// `isAscii` came in Node 18.15; without it every line is read as UTF-8.
const isAscii = require("node:buffer").isAscii ?? (() => false);

/** `bytes[start, end)` read as UTF-8. ASCII, which a line with a base64 body mostly is,
 * reads the same as Latin-1, several times faster. */
function utf8Text(bytes, start, end) {
  return isAscii(bytes.subarray(start, end))
    ? bytes.toString("latin1", start, end)
    : bytes.toString("utf8", start, end);
}

// Byte values the line scanner below looks for.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** A line or a body shorter than this many bytes goes the plain way, through JSON.parse
 * or JSON.stringify whole, which is the quicker for small ones. */
const LARGE = 4096;

function isSpace(byte) {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

function skipSpace(line, pos, stop) {
  while (pos < stop && isSpace(line[pos])) pos++;
  return pos;
}

/** Where the string opened by the quote at `at` is closed, or -1. The search for a
 * quote is native, so a long string costs a memchr, not a loop in JS. */
function closingQuote(line, at, stop) {
  let from = at + 1;
  for (;;) {
    const quote = line.indexOf(QUOTE, from);
    if (quote < 0 || quote >= stop) return -1;
    // A quote after an odd run of backslashes is part of the string.
    let slashes = 0;
    while (line[quote - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

/** Where the JSON value that starts at `pos` ends (the index after it), or -1. Only
 * finds the end: whether the value is well formed is JSON.parse's to say. */
function valueEnd(line, pos, stop) {
  const first = line[pos];
  if (first === QUOTE) {
    const quote = closingQuote(line, pos, stop);
    return quote < 0 ? -1 : quote + 1;
  }
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    while (pos < stop) {
      const byte = line[pos];
      if (byte === QUOTE) {
        pos = closingQuote(line, pos, stop);
        if (pos < 0) return -1;
      } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        depth++;
      } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return pos + 1;
      }
      pos++;
    }
    return -1;
  }
  // A number, true, false or null: up to the next delimiter.
  while (pos < stop) {
    const byte = line[pos];
    if (byte === COMMA || byte === CLOSE_BRACE || isSpace(byte)) return pos;
    pos++;
  }
  return -1;
}

/**
 * `[start, end)`, the bytes between the quotes of a large top-level `"body"` string of
 * the object on `line[0, stop)`; undefined when there is none or the line is not shaped
 * as expected (a key with an escape, say, might spell "body"). The bytes are not
 * checked: the caller takes them only when they are valid base64.
 */
function bodySpan(line, stop) {
  let pos = skipSpace(line, 0, stop);
  if (line[pos] !== OPEN_BRACE) return undefined;
  pos = skipSpace(line, pos + 1, stop);
  let span;
  while (line[pos] === QUOTE) {
    const keyEnd = closingQuote(line, pos, stop);
    if (keyEnd < 0 || line.subarray(pos, keyEnd).includes(BACKSLASH)) {
      return undefined;
    }
    const isBody =
      keyEnd - pos === 5 && line.toString("latin1", pos + 1, keyEnd) === "body";
    pos = skipSpace(line, keyEnd + 1, stop);
    if (line[pos] !== COLON) return undefined;
    const start = skipSpace(line, pos + 1, stop);
    const end = valueEnd(line, start, stop);
    if (end < 0) return undefined;
    // Of duplicate keys the last counts, as in JSON.parse.
    if (isBody) span = line[start] === QUOTE ? [start + 1, end - 1] : undefined;
    pos = skipSpace(line, end, stop);
    if (line[pos] === COMMA) {
      pos = skipSpace(line, pos + 1, stop);
    } else if (line[pos] === CLOSE_BRACE) {
      if (skipSpace(line, pos + 1, stop) !== stop) return undefined;
      if (span === undefined || span[1] - span[0] < LARGE) return undefined;
      return span;
    } else {
      return undefined;
    }
  }
  return undefined;
}

function isMap(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** `text` as the object of a message, with `kind` taken out and turned into its code. */
function parseObject(text) {
  let obj;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new ProtocolError(`malformed json message: ${err.message}`);
  }
  if (!isMap(obj)) {
    throw new ProtocolError("malformed json message: not an object");
  }
  const name = obj.kind;
  const kind = typeof name === "string" ? KIND_CODES.get(name) : undefined;
  if (kind === undefined) {
    throw new ProtocolError(`unknown message kind ${JSON.stringify(name)}`);
  }
  delete obj.kind;
  return [kind, obj, name];
}

/**
 * The message of a line with a large base64 body, or undefined to parse it whole.
 *
 * JSON.parse and UTF-8 decoding a line take about 2 ms a MiB, most of it the body. So
 * the body's bytes are cut out of the line and decoded straight from base64, and only
 * the rest, with `""` in the body's place, goes through JSON.parse. When the body is
 * valid base64 (no quote, backslash or control character in it) and the rest parses,
 * the whole line would have parsed to the same object; anything else, an error
 * included, is left to the whole-line parse, which reports it as it always has.
 */
function parseLargeBody(line, stop) {
  const span = bodySpan(line, stop);
  if (span === undefined) return undefined;
  const [start, end] = span;
  let parsed;
  try {
    parsed = parseObject(utf8Text(line, 0, start) + utf8Text(line, end, stop));
  } catch {
    return undefined;
  }
  const [kind, obj] = parsed;
  if (!(BIN_FIELDS[kind] ?? []).includes("body")) return undefined;
  const body = strictBase64(line.toString("latin1", start, end));
  if (body === undefined) return undefined;
  obj.body = body;
  return [kind, obj];
}

function parseLine(line) {
  let stop = line.length;
  if (stop > 0 && line[stop - 1] === 13) stop -= 1;
  if (stop >= LARGE) {
    const message = parseLargeBody(line, stop);
    if (message !== undefined) return message;
  }
  const text = utf8Text(line, 0, stop);
  if (text.trim() === "") throw new ProtocolError("empty frame (blank line)");
  const [kind, obj, name] = parseObject(text);
  for (const field of BIN_FIELDS[kind] ?? []) {
    const value = obj[field];
    if (value != null) obj[field] = decodeBase64(value, name, field);
  }
  return [kind, obj];
}

/**
 * The line of `obj`, `\n` included, with `bytes`, its bin field `field`, as base64.
 *
 * JSON.stringify would scan the base64 text for characters to escape and then
 * `Buffer.from` would copy it again as UTF-8, about 3 ms a MiB together. Instead the
 * fields before and after `field` are stringified on their own, keeping their order,
 * and the base64 is written straight into the line's buffer between them.
 */
function lineWithBytes(obj, field, bytes) {
  const before = {};
  const after = {};
  let seen = false;
  for (const key of Object.keys(obj)) {
    if (key === field) {
      seen = true;
    } else {
      setOwn(seen ? after : before, key, obj[key]);
    }
  }
  const name = JSON.stringify(field);
  let head = JSON.stringify(before);
  head = head.length > 2 ? `${head.slice(0, -1)},${name}:"` : `{${name}:"`;
  let tail = JSON.stringify(after);
  tail = tail.length > 2 ? `",${tail.slice(1)}\n` : `"}\n`;
  const headLength = Buffer.byteLength(head, "utf8");
  const base64Length = Math.ceil(bytes.length / 3) * 4;
  const size = headLength + base64Length + Buffer.byteLength(tail, "utf8");
  if (size - 1 > MAX_FRAME_LEN) throw new FrameTooLarge(size - 1);
  const line = Buffer.allocUnsafe(size);
  line.write(head, 0, "utf8");
  line.write(bytes.toString("base64"), headLength, "latin1");
  line.write(tail, headLength + base64Length, "utf8");
  return line;
}

/** One JSON object per `\n`-ended line, `"kind"` naming the message, bin in base64. */
class JsonCodec {
  constructor() {
    this.name = "json";
    this.pending = new ChunkJoiner();
  }

  /** The line of one message, `\n` included, as a Buffer. */
  encode(kind, payload) {
    const obj = { kind: KIND_NAMES[kind], ...payload };
    // Each kind has at most one bin field.
    const [field] = BIN_FIELDS[kind] ?? [];
    if (field !== undefined && obj[field] != null) {
      const bytes = asBuffer(obj[field]);
      if (bytes.length >= LARGE) return lineWithBytes(obj, field, bytes);
      obj[field] = bytes.toString("base64");
    }
    const line = Buffer.from(`${JSON.stringify(obj)}\n`, "utf8");
    if (line.length - 1 > MAX_FRAME_LEN)
      throw new FrameTooLarge(line.length - 1);
    return line;
  }

  /** Every line `chunk` completes, after the bytes kept from earlier chunks. */
  decode(chunk) {
    let newline = chunk.indexOf(10);
    if (newline < 0) {
      this.pending.add(chunk);
      if (this.pending.length > MAX_FRAME_LEN) {
        throw new FrameTooLarge(this.pending.length);
      }
      return [];
    }
    // Only the new chunk is searched: what was kept holds no newline.
    newline += this.pending.length;
    const data = this.pending.take(chunk);
    const messages = [];
    let pos = 0;
    while (newline >= 0) {
      if (newline - pos > MAX_FRAME_LEN) throw new FrameTooLarge(newline - pos);
      messages.push(parseLine(data.subarray(pos, newline)));
      pos = newline + 1;
      newline = data.indexOf(10, pos);
    }
    if (pos < data.length) {
      this.pending.keep(data.subarray(pos));
      if (this.pending.length > MAX_FRAME_LEN) {
        throw new FrameTooLarge(this.pending.length);
      }
    }
    return messages;
  }

  /** Bytes of a line not yet complete. */
  get buffered() {
    return this.pending.length;
  }
}

module.exports = { JsonCodec };
