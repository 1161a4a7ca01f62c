"use strict";
// The golden wire vectors of schemas/testdata (its README says what to do with them),
// for every codec: decode each vector and compare it with the JSON, then encode the
// JSON's message and decode that back. The codecs here read and write every kind, so
// no vector is skipped.

const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { describe, it } = require("node:test");

const { codecFor } = require("../src/codec");
const { KIND_CODES, KIND_NAMES } = require("../src/protocol");

// By its place in the repository, not a machine path.
const TESTDATA = path.join(__dirname, "..", "..", "..", "schemas", "testdata");

// The vector file of each codec, and how that codec frames it on the wire.
const FILES = {
  json: { ext: "json", frame: (bytes) => bytes },
  msgpack: { ext: "msgpack", frame: lengthPrefixed },
  flatbuffers: { ext: "fb", frame: lengthPrefixed },
};

function lengthPrefixed(bytes) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

// Each message's fields (PROTOCOL.md §4) and what stands for one that is absent.
const TEXT = { default: "" };
const MAP = { default: {}, read: (value) => Object.entries(value) };
const BIN = { default: Buffer.alloc(0), read: (value) => Buffer.from(value) };
const NUMBER = { default: 0 };
const OPTIONAL = { default: undefined };
const TRIGGER = {
  default: {},
  read: (value) => ({ kind: value.kind ?? "", name: value.name ?? "" }),
};
const FIELDS = {
  hello: {
    protocol: NUMBER,
    token: TEXT,
    runtime: TEXT,
    runtime_version: TEXT,
    pid: NUMBER,
    concurrency: NUMBER,
  },
  ready: {},
  init_error: { message: TEXT, detail: OPTIONAL },
  event: {
    id: NUMBER,
    trigger: TRIGGER,
    method: TEXT,
    path: TEXT,
    url: TEXT,
    query: MAP,
    headers: MAP,
    content_type: TEXT,
    body: BIN,
    timestamp: NUMBER,
    deadline: NUMBER,
  },
  response: {
    id: NUMBER,
    status: NUMBER,
    headers: MAP,
    content_type: TEXT,
    body: BIN,
    error: OPTIONAL,
  },
  // A log's fields compare as JSON values; none is an empty map.
  log: { id: OPTIONAL, level: TEXT, message: TEXT, fields: { default: {} } },
  metric: { name: TEXT, value: NUMBER, labels: MAP },
  ping: { nonce: NUMBER },
  pong: { nonce: NUMBER },
  shutdown: {},
};

/** `{ kind, ...fields }` with every field of the kind present, defaults filled in, maps
 * as entries (so their order counts) and bodies as Buffers. */
function normalize(kind, payload) {
  const name = KIND_NAMES[kind];
  const out = { kind: name };
  for (const [field, type] of Object.entries(FIELDS[name])) {
    const value = payload[field] ?? type.default;
    out[field] =
      value === undefined || type.read === undefined ? value : type.read(value);
  }
  return out;
}

/** The message `NAME.json` describes, bodies as bytes. */
function fromJsonVector(text) {
  const { kind: name, ...payload } = JSON.parse(text);
  if (typeof payload.body === "string") {
    payload.body = Buffer.from(payload.body, "base64");
  }
  return [KIND_CODES.get(name), payload];
}

/** Equal as the README says: the same kind and every field, bodies as bytes. */
function assertSame(actual, expected, what) {
  const [kind, payload] = actual;
  assert.equal(KIND_NAMES[kind], KIND_NAMES[expected[0]], `${what}: kind`);
  const got = normalize(kind, payload);
  const want = normalize(...expected);
  if (want.body !== undefined) {
    assert.ok(got.body.equals(want.body), `${what}: body differs`);
    got.body = want.body = "(compared as bytes)";
  }
  assert.deepEqual(got, want, what);
}

function decodeOne(codec, bytes) {
  const messages = codec.decode(bytes);
  assert.equal(messages.length, 1, "one frame, one message");
  assert.equal(codec.buffered, 0, "no bytes left over");
  return messages[0];
}

const names = fs
  .readdirSync(TESTDATA)
  .filter((file) => file.endsWith(".json"))
  .map((file) => file.slice(0, -".json".length))
  .sort();

it("finds the golden vectors, every kind in every codec", () => {
  // Absent vectors must fail the suite, not leave it empty.
  assert.ok(names.length >= 20, `${names.length} vectors in ${TESTDATA}`);
  const kinds = new Set();
  for (const name of names) {
    for (const { ext } of Object.values(FILES)) {
      const file = path.join(TESTDATA, `${name}.${ext}`);
      assert.ok(fs.existsSync(file), `${file} is missing`);
    }
    const [kind] = fromJsonVector(
      fs.readFileSync(path.join(TESTDATA, `${name}.json`), "utf8"),
    );
    kinds.add(KIND_NAMES[kind]);
  }
  assert.deepEqual([...kinds].sort(), KIND_NAMES.slice(1).sort());
});

for (const [codecName, { ext, frame }] of Object.entries(FILES)) {
  describe(`golden vectors, ${codecName}`, () => {
    for (const name of names) {
      it(name, () => {
        const expected = fromJsonVector(
          fs.readFileSync(path.join(TESTDATA, `${name}.json`), "utf8"),
        );
        const vector = fs.readFileSync(path.join(TESTDATA, `${name}.${ext}`));

        const decoded = decodeOne(codecFor(codecName), frame(vector));
        assertSame(decoded, expected, `${name}.${ext} decoded`);

        const encoded = codecFor(codecName).encode(...expected);
        const again = decodeOne(codecFor(codecName), encoded);
        assertSame(again, expected, `${name} encoded and decoded`);
      });
    }
  });
}
