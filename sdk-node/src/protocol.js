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

/** Standard base64 with padding, strictly: anything else is a protocol error. */
function decodeBase64(text, name, field) {
  if (typeof text !== "string") {
    throw new ProtocolError(
      `malformed ${name} message: ${field} is not a string`,
    );
  }
  if (text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new ProtocolError(
      `malformed ${name} message: ${field} is not valid base64`,
    );
  }
  return Buffer.from(text, "base64");
}

function parseLine(line) {
  let stop = line.length;
  if (stop > 0 && line[stop - 1] === 13) stop -= 1;
  const text = line.toString("utf8", 0, stop);
  if (text.trim() === "") throw new ProtocolError("empty frame (blank line)");
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
  for (const field of BIN_FIELDS[kind] ?? []) {
    const value = obj[field];
    if (value != null) obj[field] = decodeBase64(value, name, field);
  }
  return [kind, obj];
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
    for (const field of BIN_FIELDS[kind] ?? []) {
      const value = obj[field];
      if (value != null) obj[field] = asBuffer(value).toString("base64");
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
