"use strict";
/**
 * The ferrite wire protocol, version 1 (`schemas/PROTOCOL.md`): kinds and codecs.
 *
 * A codec is pure: `encode(kind, payload)` gives the bytes of one message, and
 * `decode(chunk)` takes the bytes that arrived and returns every message they complete,
 * keeping a partial frame for the next chunk ("need more" is an empty list, never an
 * error). It never touches a socket. A message is a `[kind, payload]` pair, `kind` one of
 * the numbers below and `payload` the message's field map. Use one codec per connection.
 */

const { Encoder } = require("@msgpack/msgpack");

const PROTOCOL_VERSION = 1;

/** The largest frame either side may send (msgpack: the length field; json: the line). */
const MAX_FRAME_LEN = 256 * 1024 * 1024;

const HELLO = 1;
const READY = 2;
const INIT_ERROR = 3;
const EVENT = 4;
const RESPONSE = 5;
const LOG = 6;
const METRIC = 7;
const PING = 8;
const PONG = 9;
const SHUTDOWN = 10;

/** Message kind code to its name, the json codec's `"kind"` value. */
const KIND_NAMES = [
  undefined,
  "hello",
  "ready",
  "init_error",
  "event",
  "response",
  "log",
  "metric",
  "ping",
  "pong",
  "shutdown",
];
const KIND_CODES = new Map(KIND_NAMES.map((name, code) => [name, code]));
KIND_CODES.delete(undefined);

/** Fields of type `bin`: msgpack carries them as bin, json as base64 text. */
const BIN_FIELDS = { [EVENT]: ["body"], [RESPONSE]: ["body"] };

/** The bytes cannot be read as protocol messages; the connection is unusable. */
class ProtocolError extends Error {
  constructor(message) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** A frame over {@link MAX_FRAME_LEN}, met while decoding or refused to encode. */
class FrameTooLarge extends ProtocolError {
  constructor(size) {
    super(`frame of ${size} bytes is over the ${MAX_FRAME_LEN}-byte limit`);
    this.name = "FrameTooLarge";
    this.size = size;
  }
}

const EMPTY = Buffer.alloc(0);

/** Sets `obj[key]` as an own property, `__proto__` included (peers choose the keys). */
function setOwn(obj, key, value) {
  if (key === "__proto__") {
    Object.defineProperty(obj, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    obj[key] = value;
  }
}

const MAX_DEPTH = 64;

/**
 * A MessagePack reader for what the processor sends: maps with text keys, text, bin,
 * integers, floats, booleans, nil and arrays (no extension types). Written here rather
 * than taken from `@msgpack/msgpack`'s Decoder because that one refuses a `__proto__` key
 * outright, and a query parameter or header of that name must not break the connection.
 * `bin` values are views of the frame, not copies.
 */
class MsgpackReader {
  constructor(data, pos, end) {
    this.data = data;
    this.pos = pos;
    this.end = end;
  }

  need(count) {
    if (this.pos + count > this.end) {
      throw new Error("the payload ends inside a value");
    }
    const at = this.pos;
    this.pos += count;
    return at;
  }

  text(length) {
    const at = this.need(length);
    const data = this.data;
    if (length <= 16) {
      let ascii = "";
      for (let i = at; i < at + length; i++) {
        const byte = data[i];
        if (byte >= 0x80) return data.toString("utf8", at, at + length);
        ascii += String.fromCharCode(byte);
      }
      return ascii;
    }
    return data.toString("utf8", at, at + length);
  }

  bytes(length) {
    const at = this.need(length);
    return this.data.subarray(at, at + length);
  }

  map(size, depth) {
    const out = {};
    for (let i = 0; i < size; i++) {
      const key = this.value(depth);
      if (typeof key !== "string") {
        throw new Error(`a map key is a ${typeof key}, not text`);
      }
      setOwn(out, key, this.value(depth));
    }
    return out;
  }

  array(size, depth) {
    const out = new Array(size);
    for (let i = 0; i < size; i++) out[i] = this.value(depth);
    return out;
  }

  value(depth = 0) {
    if (depth > MAX_DEPTH) throw new Error("values nest too deeply");
    const data = this.data;
    const byte = data[this.need(1)];
    if (byte <= 0x7f) return byte;
    if (byte >= 0xe0) return byte - 0x100;
    if (byte <= 0x8f) return this.map(byte & 0x0f, depth + 1);
    if (byte <= 0x9f) return this.array(byte & 0x0f, depth + 1);
    if (byte <= 0xbf) return this.text(byte & 0x1f);
    let at;
    switch (byte) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.bytes(data[this.need(1)]);
      case 0xc5:
        return this.bytes(data.readUInt16BE(this.need(2)));
      case 0xc6:
        return this.bytes(data.readUInt32BE(this.need(4)));
      case 0xca:
        return data.readFloatBE(this.need(4));
      case 0xcb:
        return data.readDoubleBE(this.need(8));
      case 0xcc:
        return data[this.need(1)];
      case 0xcd:
        return data.readUInt16BE(this.need(2));
      case 0xce:
        return data.readUInt32BE(this.need(4));
      case 0xcf:
        // Ids stay below 2^53 (PROTOCOL.md), where a double is exact.
        at = this.need(8);
        return data.readUInt32BE(at) * 0x100000000 + data.readUInt32BE(at + 4);
      case 0xd0:
        return data.readInt8(this.need(1));
      case 0xd1:
        return data.readInt16BE(this.need(2));
      case 0xd2:
        return data.readInt32BE(this.need(4));
      case 0xd3:
        at = this.need(8);
        return data.readInt32BE(at) * 0x100000000 + data.readUInt32BE(at + 4);
      case 0xd9:
        return this.text(data[this.need(1)]);
      case 0xda:
        return this.text(data.readUInt16BE(this.need(2)));
      case 0xdb:
        return this.text(data.readUInt32BE(this.need(4)));
      case 0xdc:
        return this.array(data.readUInt16BE(this.need(2)), depth + 1);
      case 0xdd:
        return this.array(data.readUInt32BE(this.need(4)), depth + 1);
      case 0xde:
        return this.map(data.readUInt16BE(this.need(2)), depth + 1);
      case 0xdf:
        return this.map(data.readUInt32BE(this.need(4)), depth + 1);
      default:
        throw new Error(
          `format 0x${byte.toString(16)} is not used by the protocol`,
        );
    }
  }
}

/** The map a frame's payload holds; throws an Error saying why when it is not one. */
function readPayload(data, pos, end) {
  const first = data[pos];
  const isMapFormat =
    (first >= 0x80 && first <= 0x8f) || first === 0xde || first === 0xdf;
  if (!isMapFormat) throw new Error("the payload is not a map");
  const reader = new MsgpackReader(data, pos, end);
  const payload = reader.value();
  if (reader.pos !== end) {
    throw new Error(`${end - reader.pos} bytes after the payload`);
  }
  return payload;
}

function kindName(kind) {
  return KIND_NAMES[kind] ?? `kind ${kind}`;
}

function isMap(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A `Uint8Array` as a `Buffer` over the same memory, without copying. */
function asBuffer(bytes) {
  if (Buffer.isBuffer(bytes)) return bytes;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Frames cut from chunks as they arrive: a partial frame waits in `parts` until `need`
 * bytes are there, then is joined once (a large body arriving in many chunks is copied
 * once, not once per chunk). */
class ChunkJoiner {
  constructor() {
    this.parts = [];
    this.length = 0;
  }

  /** The bytes to scan: what was kept plus `chunk`, joined when both are present. */
  take(chunk) {
    if (this.length === 0) return chunk;
    this.parts.push(chunk);
    const data = Buffer.concat(this.parts, this.length + chunk.length);
    this.parts = [];
    this.length = 0;
    return data;
  }

  keep(rest) {
    this.parts.push(rest);
    this.length += rest.length;
  }

  /** Adds `chunk` to a kept partial frame without joining. */
  add(chunk) {
    this.parts.push(chunk);
    this.length += chunk.length;
  }
}

/** `u32 BE length | u8 kind | msgpack map` frames, `length` counting kind + map. */
class MsgpackCodec {
  constructor() {
    this.name = "msgpack";
    this.encoder = new Encoder();
    this.pending = new ChunkJoiner();
    // Bytes the kept partial frame needs before it is worth joining and scanning.
    this.need = 0;
  }

  /** The frame of one message, as a Buffer. */
  encode(kind, payload) {
    const body = this.encoder.encodeSharedRef(payload);
    const size = body.length + 1;
    if (size > MAX_FRAME_LEN) throw new FrameTooLarge(size);
    const frame = Buffer.allocUnsafe(size + 4);
    frame.writeUInt32BE(size, 0);
    frame[4] = kind;
    frame.set(body, 5);
    if (body.length > 1 << 20) {
      // Let go of the grown buffer of a large message.
      this.encoder = new Encoder();
    }
    return frame;
  }

  /** Every message `chunk` completes, after the bytes kept from earlier chunks. */
  decode(chunk) {
    if (
      this.pending.length > 0 &&
      this.pending.length + chunk.length < this.need
    ) {
      this.pending.add(chunk);
      return [];
    }
    const data = this.pending.take(chunk);
    const messages = [];
    const end = data.length;
    let pos = 0;
    while (end - pos >= 4) {
      const size = data.readUInt32BE(pos);
      if (size > MAX_FRAME_LEN) throw new FrameTooLarge(size);
      if (size === 0) throw new ProtocolError("empty frame (length 0)");
      const stop = pos + 4 + size;
      if (stop > end) break;
      const kind = data[pos + 4];
      if (KIND_NAMES[kind] === undefined) {
        throw new ProtocolError(`unknown message kind ${kind}`);
      }
      let payload;
      try {
        payload = readPayload(data, pos + 5, stop);
      } catch (err) {
        throw new ProtocolError(
          `malformed ${kindName(kind)} message: ${err.message}`,
        );
      }
      messages.push([kind, payload]);
      pos = stop;
    }
    if (pos < end) {
      const rest = data.subarray(pos);
      this.pending.keep(rest);
      this.need = rest.length >= 4 ? 4 + rest.readUInt32BE(0) : 4;
    }
    return messages;
  }

  /** Bytes of a frame not yet complete. */
  get buffered() {
    return this.pending.length;
  }
}

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

const CODECS = { msgpack: MsgpackCodec, json: JsonCodec };

/** A fresh codec named as in `FERRITE_CODEC`. */
function codecFor(name) {
  const Codec = Object.hasOwn(CODECS, name) ? CODECS[name] : undefined;
  if (Codec === undefined) {
    throw new Error(
      `unknown codec ${JSON.stringify(name)}: expected one of ${Object.keys(CODECS).join(", ")}`,
    );
  }
  return new Codec();
}

module.exports = {
  BIN_FIELDS,
  CODECS,
  EMPTY,
  EVENT,
  FrameTooLarge,
  HELLO,
  INIT_ERROR,
  JsonCodec,
  KIND_CODES,
  KIND_NAMES,
  LOG,
  MAX_FRAME_LEN,
  METRIC,
  MsgpackCodec,
  PING,
  PONG,
  PROTOCOL_VERSION,
  ProtocolError,
  READY,
  RESPONSE,
  SHUTDOWN,
  asBuffer,
  codecFor,
  kindName,
  setOwn,
};
