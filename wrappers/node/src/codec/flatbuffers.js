"use strict";
/**
 * The flatbuffers codec: `u32 BE length | FlatBuffers buffer` frames whose root is a
 * `Frame` of `schemas/wire.fbs`, the union type of its message being the kind
 * (`schemas/PROTOCOL.md`). Tables are read and written by the code `scripts/gen-wire`
 * generates (`wire/`) over the npm `flatbuffers` runtime.
 *
 * An event's body is handed on as a Buffer over the frame's own bytes, not a copy; the
 * frames come from {@link LengthPrefixedFrames}, which never writes into a buffer it has
 * handed on, so the view stays valid for as long as a handler keeps it.
 *
 * Like the other codecs it reads and writes every kind, so the tests' fake processor
 * speaks it too. The npm runtime has no verifier, and PROTOCOL.md lets a wrapper trust
 * the processor's frames; still, a broken frame must end the connection with a clear
 * error rather than a wrong message, so the identifier and the kind are checked, and
 * every count and body length the peer wrote is checked against the frame before it is
 * used. The reader follows the schema's fixed shape and never recurses, so no nesting
 * can make it go deep.
 */

const { Builder, ByteBuffer } = require("flatbuffers");

const {
  EVENT,
  FrameTooLarge,
  HELLO,
  INIT_ERROR,
  LOG,
  MAX_FRAME_LEN,
  METRIC,
  PING,
  PONG,
  ProtocolError,
  READY,
  RESPONSE,
  SHUTDOWN,
  kindName,
} = require("../protocol");
const { EMPTY, asBuffer, setOwn } = require("../sdk");
const { LengthPrefixedFrames } = require("./chunks");
const wire = require("./wire/ferrite/wire");

const IDENTIFIER = "FRT1";
// A root offset and the identifier come before any table.
const MIN_BUFFER = 8;
// The builder's buffer is kept between messages; past this it is let go, so one large
// body does not stay allocated for the connection's life.
const KEEP_BUILDER_BYTES = 1 << 20;

// Each message kind's table class; its index is the kind code and the union type.
const TABLES = [
  undefined,
  wire.Hello,
  wire.Ready,
  wire.InitError,
  wire.Event,
  wire.Response,
  wire.Log,
  wire.Metric,
  wire.Ping,
  wire.Pong,
  wire.Shutdown,
];

/** The frame's bytes for the generated readers, which read text with a TextDecoder:
 * Buffer's own UTF-8 decoding is about twice as fast on the short strings of a frame. */
class FrameBytes extends ByteBuffer {
  __string(offset, encoding) {
    if (encoding !== undefined) return super.__string(offset, encoding);
    const at = offset + this.readInt32(offset);
    const start = at + 4;
    return this.bytes().toString("utf8", start, start + this.readInt32(at));
  }
}

/** uint64 fields come as BigInt; ids and times stay below 2^53 (PROTOCOL.md). */
function toNumber(big) {
  return Number(big);
}

function toUint64(value) {
  return BigInt(value ?? 0);
}

/** The pairs of a `[Pair]` field as a map, in their order; later keys win. `count`
 * comes from the peer, so a count the buffer cannot hold is refused before the loop. */
function readPairs(table, count, get, bytes) {
  const out = {};
  if (count === 0) return out;
  // Each element is a 4-byte offset.
  if (count * 4 > bytes.length) {
    throw new Error(`a map of ${count} pairs does not fit in the frame`);
  }
  const pair = new wire.Pair();
  for (let i = 0; i < count; i++) {
    get.call(table, i, pair);
    setOwn(out, pair.key() ?? "", pair.value() ?? "");
  }
  return out;
}

/** A `[ubyte]` body as a Buffer over the frame's bytes. Its length comes from the peer
 * and `bytes` may be part of a larger chunk, so a body that would reach past the frame
 * is refused rather than read from the frames next to it. */
function readBody(table, bytes) {
  const length = table.bodyLength();
  if (length === 0) return EMPTY;
  if (length > bytes.length) {
    throw new Error(`a body of ${length} bytes does not fit in the frame`);
  }
  const view = table.bodyArray();
  const start = view.byteOffset - bytes.byteOffset;
  if (start < 0 || start + length > bytes.length) {
    throw new Error("the body lies outside the frame");
  }
  return asBuffer(view);
}

/** The message of one `Frame` table, as `[kind, payload]` with the protocol's field
 * names; absent text, maps and bodies read as empty, absent options stay absent. */
function readMessage(frame, kind, Table, bytes) {
  const table = frame.message(new Table());
  if (table === null) {
    throw new Error("the frame has a kind but no message");
  }
  switch (kind) {
    case HELLO:
      return {
        protocol: table.protocol(),
        token: table.token() ?? "",
        runtime: table.runtime() ?? "",
        runtime_version: table.runtimeVersion() ?? "",
        pid: table.pid(),
        concurrency: table.concurrency(),
      };
    case INIT_ERROR: {
      const payload = { message: table.message() ?? "" };
      const detail = table.detail();
      if (detail !== null) payload.detail = detail;
      return payload;
    }
    case EVENT: {
      const trigger = table.trigger();
      return {
        id: toNumber(table.id()),
        trigger: {
          kind: trigger?.kind() ?? "",
          name: trigger?.name() ?? "",
        },
        method: table.method() ?? "",
        path: table.path() ?? "",
        url: table.url() ?? "",
        query: readPairs(table, table.queryLength(), table.query, bytes),
        headers: readPairs(table, table.headersLength(), table.headers, bytes),
        content_type: table.contentType() ?? "",
        body: readBody(table, bytes),
        timestamp: toNumber(table.timestamp()),
        deadline: toNumber(table.deadline()),
      };
    }
    case RESPONSE: {
      const payload = {
        id: toNumber(table.id()),
        status: table.status(),
        headers: readPairs(table, table.headersLength(), table.headers, bytes),
        content_type: table.contentType() ?? "",
        body: readBody(table, bytes),
      };
      const error = table.error();
      if (error !== null) payload.error = error;
      return payload;
    }
    case LOG: {
      const payload = {};
      const id = table.id();
      if (id !== null) payload.id = toNumber(id);
      payload.level = table.level() ?? "";
      payload.message = table.message() ?? "";
      const fields = table.fieldsJson();
      if (fields !== null) payload.fields = JSON.parse(fields);
      return payload;
    }
    case METRIC:
      return {
        name: table.name() ?? "",
        value: table.value(),
        labels: readPairs(table, table.labelsLength(), table.labels, bytes),
      };
    case PING:
    case PONG:
      return { nonce: toNumber(table.nonce()) };
    default:
      // READY, SHUTDOWN: empty tables.
      return {};
  }
}

/** One frame's FlatBuffers bytes as `[kind, payload]`; throws a ProtocolError. */
function readFrame(bytes) {
  if (bytes.length < MIN_BUFFER) {
    throw new ProtocolError(
      `malformed flatbuffers frame: ${bytes.length} bytes, too short for a buffer`,
    );
  }
  const bb = new FrameBytes(bytes);
  if (!wire.Frame.bufferHasIdentifier(bb)) {
    const found = bytes.toString("latin1", 4, 8);
    throw new ProtocolError(
      `malformed flatbuffers frame: identifier ${JSON.stringify(found)}, not "${IDENTIFIER}"`,
    );
  }
  const frame = wire.Frame.getRootAsFrame(bb);
  const kind = frame.messageType();
  const Table = TABLES[kind];
  if (Table === undefined) {
    throw new ProtocolError(`unknown message kind ${kind}`);
  }
  try {
    return [kind, readMessage(frame, kind, Table, bytes)];
  } catch (err) {
    // Offsets that point outside the buffer, a body longer than the frame, bad JSON.
    throw new ProtocolError(
      `malformed ${kindName(kind)} message: ${err.message}`,
    );
  }
}

/** A `[Pair]` vector of `map`'s entries, or 0 (absent) for an empty or missing map. */
function writePairs(builder, map) {
  if (map == null) return 0;
  const keys = Object.keys(map);
  if (keys.length === 0) return 0;
  const pairs = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const key = writeString(builder, keys[i]);
    const value = writeString(builder, map[keys[i]] ?? "");
    pairs[i] = wire.Pair.createPair(builder, key, value);
  }
  // What each table's generated create...Vector does, for all of them at once.
  builder.startVector(4, pairs.length, 4);
  for (let i = pairs.length - 1; i >= 0; i--) builder.addOffset(pairs[i]);
  return builder.endVector();
}

/** A string, or 0 (absent) for undefined and null. Given as UTF-8 bytes, which the
 * builder copies as they are: its own TextEncoder allocates a new array per string, a
 * quarter of the time of encoding a small response; `Buffer.from` takes small ones from
 * Node's pool. */
function writeString(builder, text) {
  return text == null ? 0 : builder.createString(Buffer.from(String(text)));
}

function writeBody(builder, body) {
  if (body == null) return 0;
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  if (bytes.length > MAX_FRAME_LEN) throw new FrameTooLarge(bytes.length);
  return builder.createByteVector(bytes);
}

/** The offset of the table of a `kind` message: children first, then the table, since
 * a FlatBuffers builder cannot nest. */
function writeMessage(builder, kind, p) {
  switch (kind) {
    case HELLO: {
      const token = writeString(builder, p.token);
      const runtime = writeString(builder, p.runtime);
      const version = writeString(builder, p.runtime_version);
      return wire.Hello.createHello(
        builder,
        p.protocol ?? 0,
        token,
        runtime,
        version,
        p.pid ?? 0,
        p.concurrency ?? 0,
      );
    }
    case INIT_ERROR: {
      const message = writeString(builder, p.message);
      const detail = writeString(builder, p.detail);
      return wire.InitError.createInitError(builder, message, detail);
    }
    case EVENT: {
      const trigger =
        p.trigger == null
          ? 0
          : wire.Trigger.createTrigger(
              builder,
              writeString(builder, p.trigger.kind),
              writeString(builder, p.trigger.name),
            );
      const method = writeString(builder, p.method);
      const path = writeString(builder, p.path);
      const url = writeString(builder, p.url);
      const query = writePairs(builder, p.query);
      const headers = writePairs(builder, p.headers);
      const contentType = writeString(builder, p.content_type);
      const body = writeBody(builder, p.body);
      wire.Event.startEvent(builder);
      wire.Event.addId(builder, toUint64(p.id));
      wire.Event.addTrigger(builder, trigger);
      wire.Event.addMethod(builder, method);
      wire.Event.addPath(builder, path);
      wire.Event.addUrl(builder, url);
      wire.Event.addQuery(builder, query);
      wire.Event.addHeaders(builder, headers);
      wire.Event.addContentType(builder, contentType);
      wire.Event.addBody(builder, body);
      wire.Event.addTimestamp(builder, toUint64(p.timestamp));
      wire.Event.addDeadline(builder, toUint64(p.deadline));
      return wire.Event.endEvent(builder);
    }
    case RESPONSE: {
      const headers = writePairs(builder, p.headers);
      const contentType = writeString(builder, p.content_type);
      const body = writeBody(builder, p.body);
      const error = writeString(builder, p.error);
      return wire.Response.createResponse(
        builder,
        toUint64(p.id),
        p.status ?? 0,
        headers,
        contentType,
        body,
        error,
      );
    }
    case LOG: {
      const level = writeString(builder, p.level);
      const message = writeString(builder, p.message);
      const fields =
        p.fields == null ? 0 : writeString(builder, JSON.stringify(p.fields));
      return wire.Log.createLog(
        builder,
        p.id == null ? null : toUint64(p.id),
        level,
        message,
        fields,
      );
    }
    case METRIC: {
      const name = writeString(builder, p.name);
      const labels = writePairs(builder, p.labels);
      return wire.Metric.createMetric(builder, name, p.value ?? 0, labels);
    }
    case PING:
      return wire.Ping.createPing(builder, toUint64(p.nonce));
    case PONG:
      return wire.Pong.createPong(builder, toUint64(p.nonce));
    case READY:
      return wire.Ready.createReady(builder);
    case SHUTDOWN:
      return wire.Shutdown.createShutdown(builder);
    default:
      throw new TypeError(`no flatbuffers table for message kind ${kind}`);
  }
}

/** `u32 BE length | FlatBuffers buffer` frames, the buffer's root a `Frame`. */
class FlatbuffersCodec {
  constructor() {
    this.name = "flatbuffers";
    // One builder for the connection, cleared per message.
    this.builder = new Builder(1024);
    this.frames = new LengthPrefixedFrames();
  }

  /** The frame of one message, as a Buffer. */
  encode(kind, payload) {
    const builder = this.builder;
    builder.clear();
    let bytes;
    try {
      const message = writeMessage(builder, kind, payload);
      wire.Frame.finishFrameBuffer(
        builder,
        wire.Frame.createFrame(builder, kind, message),
      );
      bytes = builder.asUint8Array();
    } catch (err) {
      // A builder left mid-table cannot be reused.
      this.builder = new Builder(1024);
      throw err;
    }
    const size = bytes.length;
    if (size > MAX_FRAME_LEN) throw new FrameTooLarge(size);
    // One copy, out of the builder's buffer, which the next message overwrites.
    const frame = Buffer.allocUnsafe(size + 4);
    frame.writeUInt32BE(size, 0);
    frame.set(bytes, 4);
    if (builder.dataBuffer().capacity() > KEEP_BUILDER_BYTES) {
      this.builder = new Builder(1024);
    }
    return frame;
  }

  /** Every message `chunk` completes, after the bytes kept from earlier chunks. */
  decode(chunk) {
    const messages = [];
    this.frames.cut(chunk, (data, start, stop) => {
      messages.push(readFrame(data.subarray(start, stop)));
    });
    return messages;
  }

  /** Bytes of a frame not yet complete. */
  get buffered() {
    return this.frames.buffered;
  }
}

module.exports = { FlatbuffersCodec };
