"use strict";
/**
 * Plain data as handlers and the processor hand it over: bytes seen as Buffers, and
 * objects whose keys someone else chose.
 *
 * The wrapper's codecs use these too (a peer chooses the keys of a decoded map), by the
 * same relative path it requires the rest of the SDK by.
 */

const EMPTY = Buffer.alloc(0);

/** A `Uint8Array` as a `Buffer` over the same memory, without copying. */
function asBuffer(bytes) {
  if (Buffer.isBuffer(bytes)) return bytes;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Sets `obj[key]` as an own property, `__proto__` included (peers and handlers choose
 * the keys). */
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

module.exports = { EMPTY, asBuffer, setOwn };
