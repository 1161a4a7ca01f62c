"use strict";

const { FrameTooLarge, MAX_FRAME_LEN, ProtocolError } = require("../protocol");

/** Frames cut from chunks as they arrive: a partial frame waits in `parts` until `need`
 * bytes are there, then is joined once (a large body arriving in many chunks is copied
 * once, not once per chunk). Every codec keeps its partial frame in one. */
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

/**
 * `u32 BE length | length bytes` frames (msgpack and flatbuffers), cut from chunks.
 *
 * A frame is handed on as `data[start, stop)` of the chunk it arrived in, or of a buffer
 * joined for it alone, never of a buffer that is written again later: a codec may keep
 * views of it (a body) for as long as a handler holds them.
 */
class LengthPrefixedFrames {
  constructor() {
    this.pending = new ChunkJoiner();
    // Bytes the kept partial frame needs before it is worth joining and scanning.
    this.need = 0;
  }

  /** Calls `read(data, start, stop)` for every frame `chunk` completes, after the bytes
   * kept from earlier chunks; `start` is past the length. */
  cut(chunk, read) {
    if (
      this.pending.length > 0 &&
      this.pending.length + chunk.length < this.need
    ) {
      this.pending.add(chunk);
      return;
    }
    const data = this.pending.take(chunk);
    const end = data.length;
    let pos = 0;
    while (end - pos >= 4) {
      const size = data.readUInt32BE(pos);
      if (size > MAX_FRAME_LEN) throw new FrameTooLarge(size);
      if (size === 0) throw new ProtocolError("empty frame (length 0)");
      const stop = pos + 4 + size;
      if (stop > end) break;
      read(data, pos + 4, stop);
      pos = stop;
    }
    if (pos < end) {
      const rest = data.subarray(pos);
      this.pending.keep(rest);
      this.need = rest.length >= 4 ? 4 + rest.readUInt32BE(0) : 4;
    }
  }

  /** Bytes of a frame not yet complete. */
  get buffered() {
    return this.pending.length;
  }
}

module.exports = { ChunkJoiner, LengthPrefixedFrames };
