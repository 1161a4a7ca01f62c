"use strict";
/**
 * The ferrite wire protocol, version 1 (`schemas/PROTOCOL.md`): the message kinds, the
 * frame size limit, and the errors of a stream that breaks the protocol.
 *
 * A message is a `[kind, payload]` pair, `kind` one of the numbers below and `payload`
 * the message's field map; a codec (`src/codec`) turns messages into bytes and back.
 */

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

function kindName(kind) {
  return KIND_NAMES[kind] ?? `kind ${kind}`;
}

module.exports = {
  BIN_FIELDS,
  EVENT,
  FrameTooLarge,
  HELLO,
  INIT_ERROR,
  KIND_CODES,
  KIND_NAMES,
  LOG,
  MAX_FRAME_LEN,
  METRIC,
  PING,
  PONG,
  PROTOCOL_VERSION,
  ProtocolError,
  READY,
  RESPONSE,
  SHUTDOWN,
  kindName,
};
