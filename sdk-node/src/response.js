"use strict";
/**
 * What a handler answers with: {@link Response}, and the rules that turn any result into
 * the fields of a `response` message. They are nuclio's Node.js rules:
 *
 * - a string is `text/plain` (UTF-8); a Buffer, typed array or ArrayBuffer is
 *   `application/octet-stream`;
 * - `[status, body]` (a two-item array whose first item is a number) sets the status,
 *   the body following these same rules;
 * - a {@link Response} gives every field; its body follows these rules too, and its
 *   `contentType` (or a `content-type` header), when set, wins;
 * - `undefined` and `null` are an empty 200;
 * - anything else (objects, arrays, numbers, booleans) is JSON, `application/json`.
 *
 * An `Error` is not a result: a handler that returns or calls back with one is answered
 * like one that threw it.
 */

const { EMPTY, asBuffer, setOwn } = require("./data");

const TEXT = "text/plain; charset=utf-8";
const BINARY = "application/octet-stream";
const JSON_TYPE = "application/json";

/** Shared by every response without headers; never mutated. */
const NO_HEADERS = Object.freeze({});

/**
 * A full answer (nuclio's `context.Response`). The parameters are in nuclio's order, so
 * `new context.Response(body, headers, contentType, statusCode)` runs unchanged.
 */
class Response {
  constructor(
    body = null,
    headers = null,
    contentType = null,
    statusCode = 200,
  ) {
    this.body = body;
    this.headers = headers ?? {};
    this.contentType = contentType;
    this.statusCode = statusCode;
  }

  /** nuclio's name for `contentType`. */
  get content_type() {
    return this.contentType;
  }

  set content_type(value) {
    this.contentType = value;
  }

  /** nuclio's name for `statusCode`. */
  get status_code() {
    return this.statusCode;
  }

  set status_code(value) {
    this.statusCode = value;
  }
}

function isBytes(value) {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
}

function toBytes(value) {
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (value instanceof Uint8Array) return asBuffer(value);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function jsonBytes(value) {
  const text = JSON.stringify(value);
  if (text === undefined) {
    throw new TypeError(`a ${typeof value} cannot be sent as a response body`);
  }
  return Buffer.from(text, "utf8");
}

/** `[bytes, impliedContentType]` for a body value. */
function bodyOf(value) {
  if (typeof value === "string") return [Buffer.from(value, "utf8"), TEXT];
  if (value == null) return [EMPTY, ""];
  if (isBytes(value)) return [toBytes(value), BINARY];
  if (value instanceof String)
    return [Buffer.from(String(value), "utf8"), TEXT];
  return [jsonBytes(value), JSON_TYPE];
}

function statusOf(code) {
  if (!Number.isInteger(code)) {
    throw new TypeError(
      `status code must be an integer, not ${JSON.stringify(code) ?? typeof code}`,
    );
  }
  if (code < 100 || code > 999) {
    throw new RangeError(`status code ${code} is outside 100-999`);
  }
  return code;
}

/** `[headers with text values, the value of a content-type among them]`. */
function headersOf(headers) {
  if (!headers) return [NO_HEADERS, undefined];
  const entries =
    headers instanceof Map || Array.isArray(headers)
      ? [...headers]
      : Object.entries(headers);
  if (entries.length === 0) return [NO_HEADERS, undefined];
  const out = {};
  let contentType;
  for (const [name, value] of entries) {
    if (value === undefined || value === null) continue;
    const text = Array.isArray(value) ? value.join(", ") : String(value);
    if (String(name).toLowerCase() === "content-type") {
      contentType = text;
    } else {
      setOwn(out, String(name), text);
    }
  }
  return [out, contentType];
}

function isStatusPair(result) {
  return (
    Array.isArray(result) &&
    result.length === 2 &&
    typeof result[0] === "number"
  );
}

/**
 * `[status, headers, contentType, body]` for whatever a handler returned. Throws a
 * TypeError or RangeError for a result that cannot be sent (a bad status code, a value
 * JSON cannot encode); the caller answers those like a handler exception.
 */
function toWire(result) {
  if (typeof result === "string") {
    return [200, NO_HEADERS, TEXT, Buffer.from(result, "utf8")];
  }
  if (result == null) return [200, NO_HEADERS, "", EMPTY];
  if (result instanceof Response) {
    const [body, implied] = bodyOf(result.body);
    const [headers, headerType] = headersOf(result.headers);
    const contentType = result.contentType || headerType || implied;
    return [statusOf(result.statusCode), headers, contentType, body];
  }
  if (isBytes(result)) return [200, NO_HEADERS, BINARY, toBytes(result)];
  if (isStatusPair(result)) {
    const [body, contentType] = bodyOf(result[1]);
    return [statusOf(result[0]), NO_HEADERS, contentType, body];
  }
  const [body, contentType] = bodyOf(result);
  return [200, NO_HEADERS, contentType, body];
}

module.exports = { BINARY, JSON_TYPE, Response, TEXT, toWire };
