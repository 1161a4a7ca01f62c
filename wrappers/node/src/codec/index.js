"use strict";
/**
 * The codecs, by the name `FERRITE_CODEC` gives them: one file each, one line here.
 *
 * A codec is pure and belongs to one connection: `encode(kind, payload)` gives the bytes
 * of one message as a Buffer, and `decode(chunk)` takes the bytes that arrived and
 * returns every message they complete as `[kind, payload]` pairs, keeping a partial frame
 * for the next chunk ("need more" is an empty list, never an error; bytes that break the
 * protocol throw a ProtocolError). `buffered` is how many bytes of a partial frame it
 * holds, and `name` its name here. It never touches a socket.
 */

const { FlatbuffersCodec } = require("./flatbuffers");
const { JsonCodec } = require("./json");
const { MsgpackCodec } = require("./msgpack");

const CODECS = {
  msgpack: MsgpackCodec,
  json: JsonCodec,
  flatbuffers: FlatbuffersCodec,
};

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
  CODECS,
  FlatbuffersCodec,
  JsonCodec,
  MsgpackCodec,
  codecFor,
};
