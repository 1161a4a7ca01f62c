"use strict";
/**
 * What a handler receives: {@link Event} and its trigger.
 *
 * The shape is nuclio's Node.js event: `body` is a Buffer (so `JSON.parse(event.body)`
 * and `event.body.toString()` work as they did), `fields` the query, `headers` the
 * request headers. An event is built once per request on the wrapper's hot path, so it
 * keeps the wire's own objects and computes the rarer views (dates, case-insensitive
 * headers, the parsed JSON body) only when asked.
 */

const { EMPTY, asBuffer, setOwn } = require("./data");

/** Lower-cases string keys, so `headers["Content-Type"]` finds `content-type`. */
const CASE_INSENSITIVE = {
  get(target, key, receiver) {
    return Reflect.get(
      target,
      typeof key === "string" ? key.toLowerCase() : key,
      receiver,
    );
  },
  has(target, key) {
    return Reflect.has(
      target,
      typeof key === "string" ? key.toLowerCase() : key,
    );
  },
  getOwnPropertyDescriptor(target, key) {
    return Reflect.getOwnPropertyDescriptor(
      target,
      typeof key === "string" ? key.toLowerCase() : key,
    );
  },
  set(target, key, value) {
    return Reflect.set(
      target,
      typeof key === "string" ? key.toLowerCase() : key,
      value,
    );
  },
  deleteProperty(target, key) {
    return Reflect.deleteProperty(
      target,
      typeof key === "string" ? key.toLowerCase() : key,
    );
  },
};

function lowerCaseKeys(headers) {
  const out = {};
  if (headers) {
    for (const [name, value] of Object.entries(headers)) {
      setOwn(out, name.toLowerCase(), value);
    }
  }
  return out;
}

const NO_TRIGGER = Object.freeze({ kind: "", name: "" });
// Events from one trigger share one frozen trigger object instead of building one each.
const triggers = new Map();

function triggerFromWire(wire) {
  if (!wire) return NO_TRIGGER;
  const kind = wire.kind || "";
  const name = wire.name || "";
  const key = `${kind}\0${name}`;
  let trigger = triggers.get(key);
  if (trigger === undefined) {
    // Names come from the spec, so this only guards against a misbehaving peer.
    if (triggers.size >= 64) triggers.clear();
    trigger = Object.freeze({ kind, name });
    triggers.set(key, trigger);
  }
  return trigger;
}

/** Whether a content type is `application/json`, parameters and case aside. */
function isJson(contentType) {
  return (
    contentType.split(";", 1)[0].trim().toLowerCase() === "application/json"
  );
}

const NOT_PARSED = Symbol("not parsed");

/**
 * One request for a handler (nuclio's event).
 *
 * `body` is a Buffer; `json` is the body parsed as JSON. `fields` is the query map.
 * `headers` looks names up in any case. `timestamp` and `deadline` are Dates;
 * `timestampMs` and `deadlineMs` hold the wire's milliseconds since the epoch
 * (`deadlineMs` is 0 when there is none).
 */
class Event {
  constructor({
    body = EMPTY,
    contentType = "",
    headers = {},
    fields = {},
    method = "GET",
    path = "/",
    url,
    id = 0,
    trigger = NO_TRIGGER,
    timestampMs = 0,
    deadlineMs = 0,
  } = {}) {
    this.id = id;
    this.trigger = trigger;
    this.method = method;
    this.path = path;
    this.url = url ?? path;
    this.fields = fields;
    this._headers = lowerCaseKeys(headers);
    this._headersView = undefined;
    this.contentType = contentType || "";
    this.body = typeof body === "string" ? Buffer.from(body) : asBuffer(body);
    this.timestampMs = timestampMs;
    this.deadlineMs = deadlineMs;
    this._json = NOT_PARSED;
  }

  /** The event of an `event` message's payload, for the wrapper, which has checked its
   * `id`; a missing optional field is its default. Built without the constructor, which
   * copies headers to lower-case them: the processor sends them lower-cased already. */
  static fromWire(payload) {
    const event = Object.create(Event.prototype);
    event.id = payload.id;
    event.trigger = triggerFromWire(payload.trigger);
    event.method = payload.method || "";
    event.path = payload.path || "";
    event.url = payload.url || "";
    event.fields = payload.query || {};
    event._headers = payload.headers || {};
    event._headersView = undefined;
    event.contentType = payload.content_type || "";
    const body = payload.body;
    event.body = body ? asBuffer(body) : EMPTY;
    event.timestampMs = payload.timestamp || 0;
    event.deadlineMs = payload.deadline || 0;
    event._json = NOT_PARSED;
    return event;
  }

  /** Request headers; names are lower case, and looked up in any case. */
  get headers() {
    if (this._headersView === undefined) {
      this._headersView = new Proxy(this._headers, CASE_INSENSITIVE);
    }
    return this._headersView;
  }

  /** A header's value, the name in any case; `defaultValue` when absent. */
  getHeader(name, defaultValue = undefined) {
    const value = this._headers[String(name).toLowerCase()];
    return value === undefined ? defaultValue : value;
  }

  /** The body parsed as JSON (once); `undefined` for an empty body. Throws a
   * SyntaxError when the body is not JSON. */
  get json() {
    if (this._json === NOT_PARSED) {
      this._json =
        this.body.length === 0 ? undefined : JSON.parse(this.body.toString());
    }
    return this._json;
  }

  /** Whether the content type is `application/json`. */
  get isJson() {
    return isJson(this.contentType);
  }

  /** nuclio's name for `contentType`. */
  get content_type() {
    return this.contentType;
  }

  /** The body's length in bytes. */
  get size() {
    return this.body.length;
  }

  /** When the trigger received the event. */
  get timestamp() {
    return new Date(this.timestampMs);
  }

  /** When the processor gives up on the event, or `null`. */
  get deadline() {
    return this.deadlineMs ? new Date(this.deadlineMs) : null;
  }

  toJSON() {
    return {
      id: this.id,
      trigger: this.trigger,
      method: this.method,
      path: this.path,
      url: this.url,
      fields: this.fields,
      headers: this._headers,
      contentType: this.contentType,
      size: this.size,
      timestamp: this.timestamp.toISOString(),
    };
  }
}

// nuclio's events are plain objects with a "content-type" key too.
Object.defineProperty(Event.prototype, "content-type", {
  get() {
    return this.contentType;
  },
});

module.exports = { Event, isJson, triggerFromWire };
