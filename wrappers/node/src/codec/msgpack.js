"use strict";
/**
 * The msgpack codec: `u32 BE length | u8 kind | msgpack map` frames, `length` counting
 * kind + map (`schemas/PROTOCOL.md`). Encoding is `@msgpack/msgpack`'s; decoding is the
 * reader below.
 */

const { Encoder } = require("@msgpack/msgpack");

const {
  FrameTooLarge,
  KIND_NAMES,
  MAX_FRAME_LEN,
  ProtocolError,
  kindName,
} = require("../protocol");
const { setOwn } = require("../sdk");
const { LengthPrefixedFrames } = require("./chunks");

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

/** `u32 BE length | u8 kind | msgpack map` frames, `length` counting kind + map. */
class MsgpackCodec {
  constructor() {
    this.name = "msgpack";
    this.encoder = new Encoder();
    this.frames = new LengthPrefixedFrames();
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
    const messages = [];
    this.frames.cut(chunk, (data, start, stop) => {
      const kind = data[start];
      if (KIND_NAMES[kind] === undefined) {
        throw new ProtocolError(`unknown message kind ${kind}`);
      }
      let payload;
      try {
        payload = readPayload(data, start + 1, stop);
      } catch (err) {
        throw new ProtocolError(
          `malformed ${kindName(kind)} message: ${err.message}`,
        );
      }
      messages.push([kind, payload]);
    });
    return messages;
  }

  /** Bytes of a frame not yet complete. */
  get buffered() {
    return this.frames.buffered;
  }
}

module.exports = { MsgpackCodec };
