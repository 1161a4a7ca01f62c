"use strict";

/** Frames cut from chunks as they arrive: a partial frame waits in `parts` until `need`
 * bytes are there, then is joined once (a large body arriving in many chunks is copied
 * once, not once per chunk). Both codecs keep their partial frame in one. */
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

module.exports = { ChunkJoiner };
