"use strict";
// The codecs alone: frames in, frames out, however the bytes are cut. The first tests
// are every codec's conformance, run for each one registered.

const assert = require("node:assert/strict");
const { describe, it } = require("node:test");

const { ByteBuffer } = require("flatbuffers");

const {
  CODECS,
  FlatbuffersCodec,
  JsonCodec,
  MsgpackCodec,
  codecFor,
} = require("../src/codec");
const wire = require("../src/codec/wire/ferrite/wire");
const {
  EVENT,
  FrameTooLarge,
  HELLO,
  LOG,
  MAX_FRAME_LEN,
  PING,
  ProtocolError,
  READY,
  RESPONSE,
  SHUTDOWN,
} = require("../src/protocol");

const response = {
  id: 2 ** 53 - 1,
  status: 201,
  headers: { "x-a": "b" },
  content_type: "text/plain",
  body: Buffer.from([0, 1, 254, 255]),
};

/** Decodes `bytes` fed in pieces of `step` bytes. */
function decodeInPieces(codec, bytes, step) {
  const messages = [];
  for (let pos = 0; pos < bytes.length; pos += step) {
    messages.push(...codec.decode(bytes.subarray(pos, pos + step)));
  }
  return messages;
}

for (const Codec of Object.values(CODECS)) {
  describe(new Codec().name, () => {
    it("round-trips every kind of message, ids up to 2^53 exactly", () => {
      const codec = new Codec();
      const bytes = Buffer.concat([
        codec.encode(HELLO, { protocol: 1, token: "t", concurrency: 64 }),
        codec.encode(READY, {}),
        codec.encode(RESPONSE, response),
        codec.encode(EVENT, { id: 2 ** 40 + 1, body: Buffer.alloc(0) }),
        codec.encode(LOG, {
          level: "info",
          message: "żółw ✓",
          fields: { n: 1.5 },
        }),
      ]);
      const messages = new Codec().decode(bytes);
      assert.deepEqual(
        messages.map(([kind]) => kind),
        [HELLO, READY, RESPONSE, EVENT, LOG],
      );
      const [, decoded] = messages[2];
      assert.equal(decoded.id, 2 ** 53 - 1);
      assert.equal(decoded.status, 201);
      assert.deepEqual(decoded.headers, { "x-a": "b" });
      assert.ok(Buffer.from(decoded.body).equals(response.body));
      assert.equal(messages[3][1].id, 2 ** 40 + 1);
      assert.equal(messages[4][1].message, "żółw ✓");
    });

    it("decodes frames cut at every byte", () => {
      const codec = new Codec();
      const bytes = Buffer.concat([
        codec.encode(RESPONSE, response),
        codec.encode(READY, {}),
        codec.encode(RESPONSE, { ...response, id: 3 }),
      ]);
      for (const step of [1, 2, 3, 5, 7, 11, bytes.length]) {
        const messages = decodeInPieces(new Codec(), bytes, step);
        assert.deepEqual(
          messages.map(([kind, payload]) => [kind, payload.id]),
          [
            [RESPONSE, 2 ** 53 - 1],
            [READY, undefined],
            [RESPONSE, 3],
          ],
          `pieces of ${step}`,
        );
      }
    });

    it("carries a large body over many chunks", () => {
      const body = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
      const bytes = new Codec().encode(EVENT, { id: 1, body });
      const decoder = new Codec();
      const messages = decodeInPieces(decoder, bytes, 65536);
      assert.equal(messages.length, 1);
      assert.ok(Buffer.from(messages[0][1].body).equals(body));
      assert.equal(decoder.buffered, 0);
    });
  });
}

describe("msgpack frames", () => {
  it("is u32 length, u8 kind, then a msgpack map", () => {
    const frame = new MsgpackCodec().encode(READY, {});
    assert.deepEqual([...frame], [0, 0, 0, 2, READY, 0x80]);
    const body = new MsgpackCodec().encode(RESPONSE, {
      body: Buffer.from("hi"),
    });
    // fixmap(1), fixstr "body", bin8 of 2 bytes: bin, never str.
    assert.deepEqual(
      [...body.subarray(5)],
      [0x81, 0xa4, 0x62, 0x6f, 0x64, 0x79, 0xc4, 2, 0x68, 0x69],
    );
  });

  for (const [what, bytes, error] of [
    ["a length of 0", [0, 0, 0, 0], /empty frame/],
    ["an unknown kind", [0, 0, 0, 2, 42, 0x80], /unknown message kind 42/],
    ["a payload that is not a map", [0, 0, 0, 2, READY, 0x90], /not a map/],
    [
      "a payload that does not decode",
      [0, 0, 0, 2, READY, 0xc1],
      /malformed ready/,
    ],
    [
      "trailing bytes in a payload",
      [0, 0, 0, 3, READY, 0x80, 0x80],
      /malformed ready/,
    ],
  ]) {
    it(`refuses ${what}`, () => {
      assert.throws(() => new MsgpackCodec().decode(Buffer.from(bytes)), error);
      assert.throws(
        () => new MsgpackCodec().decode(Buffer.from(bytes)),
        ProtocolError,
      );
    });
  }

  it("reads every format the processor may write", () => {
    const value = {
      nil: null,
      yes: true,
      no: false,
      fix: 5,
      u8: 200,
      u16: 60000,
      u32: 4e9,
      u64: 2 ** 53 - 1,
      negfix: -5,
      i8: -100,
      i16: -30000,
      i32: -2e9,
      i64: -(2 ** 40) - 3,
      f64: 1.5,
      str8: "x".repeat(40),
      str16: "y".repeat(300),
      unicode: "żółw ✓ 日本語",
      bin8: Buffer.from([1, 2]),
      bin16: Buffer.alloc(300, 1),
      array: [1, [2, "three"]],
      array16: new Array(20).fill(0),
      map16: Object.fromEntries(
        Array.from({ length: 20 }, (_, i) => [`k${i}`, i]),
      ),
    };
    const frame = new MsgpackCodec().encode(EVENT, value);
    const [[kind, decoded]] = new MsgpackCodec().decode(frame);
    assert.equal(kind, EVENT);
    assert.deepEqual(decoded, value);
    // Formats the encoder above does not pick: float32, str32, bin32, array32, map32.
    // prettier-ignore
    const handmade = Buffer.from([
      0, 0, 0, 0, READY, 0x85,
      0xa1, 0x66, 0xca, 0x3f, 0xc0, 0x00, 0x00, // "f": float32 1.5
      0xa1, 0x73, 0xdb, 0, 0, 0, 2, 0x68, 0x69, // "s": str32 "hi"
      0xa1, 0x62, 0xc6, 0, 0, 0, 1, 0xff, // "b": bin32
      0xa1, 0x61, 0xdd, 0, 0, 0, 1, 0xc0, // "a": array32 [nil]
      0xa1, 0x6d, 0xdf, 0, 0, 0, 0, // "m": map32 {}
    ]);
    handmade.writeUInt32BE(handmade.length - 4);
    const [[, fields]] = new MsgpackCodec().decode(handmade);
    assert.deepEqual(fields, {
      f: 1.5,
      s: "hi",
      b: Buffer.from([0xff]),
      a: [null],
      m: {},
    });
  });

  it("reads a __proto__ key as an ordinary key", () => {
    // A client chooses query names and headers: ?__proto__=x must not break anything.
    const query = JSON.parse('{"__proto__": "x", "constructor": "y"}');
    for (const Codec of Object.values(CODECS)) {
      const frame = new Codec().encode(EVENT, { id: 1, query });
      const [[, payload]] = new Codec().decode(frame);
      assert.deepEqual(Object.keys(payload.query), [
        "__proto__",
        "constructor",
      ]);
      assert.equal(Object.getPrototypeOf(payload.query), Object.prototype);
      assert.equal(payload.query.constructor, "y");
    }
  });

  it("refuses a length over the limit before reading the frame", () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME_LEN + 1);
    assert.throws(() => new MsgpackCodec().decode(header), FrameTooLarge);
  });
});

describe("flatbuffers frames", () => {
  /** The frame's FlatBuffers buffer read with the generated code alone. */
  function rootOf(frame) {
    assert.equal(frame.readUInt32BE(0), frame.length - 4);
    const bb = new ByteBuffer(frame.subarray(4));
    assert.ok(wire.Frame.bufferHasIdentifier(bb), "identifier FRT1");
    return wire.Frame.getRootAsFrame(bb);
  }

  /** Where the `[...]` vector of `table`'s field at vtable slot `slot` keeps its
   * length, as an index into `frame` (past the frame's 4-byte length). */
  function vectorLengthAt(table, slot) {
    const bb = table.bb;
    return 4 + bb.__vector(table.bb_pos + bb.__offset(table.bb_pos, slot)) - 4;
  }

  it("is u32 length, then a Frame whose union type is the kind", () => {
    const codec = new FlatbuffersCodec();
    const frame = rootOf(
      codec.encode(RESPONSE, { ...response, error: "boom" }),
    );
    assert.equal(frame.messageType(), wire.Message.Response);
    assert.equal(wire.Message.Response, RESPONSE);
    const table = frame.message(new wire.Response());
    assert.equal(table.id(), BigInt(2 ** 53 - 1));
    assert.equal(table.status(), 201);
    assert.deepEqual([...table.bodyArray()], [0, 1, 254, 255]);
    assert.equal(table.error(), "boom");
    assert.equal(rootOf(codec.encode(SHUTDOWN, {})).messageType(), SHUTDOWN);
    assert.equal(rootOf(codec.encode(PING, { nonce: 3 })).messageType(), PING);
  });

  it("leaves absent options absent and reads absent text as empty", () => {
    const codec = new FlatbuffersCodec();
    const log = rootOf(codec.encode(LOG, { level: "info", message: "m" }));
    const table = log.message(new wire.Log());
    assert.equal(table.id(), null);
    assert.equal(table.fieldsJson(), null);
    const [[, decoded]] = codec.decode(
      codec.encode(LOG, { level: "info", message: "m" }),
    );
    assert.deepEqual(decoded, { level: "info", message: "m" });
    // Present but zero or empty is not absent: an optional scalar has no default.
    const [[, first]] = codec.decode(
      codec.encode(LOG, { id: 0, level: "info", message: "m" }),
    );
    assert.equal(first.id, 0);
    const [[, failed]] = codec.decode(
      codec.encode(RESPONSE, { id: 1, status: 500, error: "" }),
    );
    assert.equal(failed.error, "");
    const [[, event]] = codec.decode(codec.encode(EVENT, { id: 0 }));
    assert.deepEqual(
      { ...event, body: [...event.body] },
      {
        id: 0,
        trigger: { kind: "", name: "" },
        method: "",
        path: "",
        url: "",
        query: {},
        headers: {},
        content_type: "",
        body: [],
        timestamp: 0,
        deadline: 0,
      },
    );
  });

  it("hands on an event's body as a view of the frame, which later frames leave alone", () => {
    const codec = new FlatbuffersCodec();
    const first = codec.encode(EVENT, { id: 1, body: Buffer.from("first") });
    const second = codec.encode(EVENT, { id: 2, body: Buffer.from("other") });
    // One chunk holding both frames, as a socket may deliver them.
    const chunk = Buffer.concat([first, second]);
    const [[, one], [, two]] = new FlatbuffersCodec().decode(chunk);
    assert.ok(Buffer.isBuffer(one.body));
    assert.equal(one.body.toString(), "first");
    assert.equal(two.body.toString(), "other");
    // A view, not a copy: a byte written into the chunk shows in the body.
    chunk[chunk.indexOf("first")] = 0x46;
    assert.equal(one.body.toString(), "First");
    // A frame cut across chunks is joined into a buffer of its own, which decoding the
    // next frames does not write into.
    const decoder = new FlatbuffersCodec();
    assert.deepEqual(decoder.decode(first.subarray(0, 10)), []);
    const [[, joined]] = decoder.decode(first.subarray(10));
    assert.deepEqual(decoder.decode(second.subarray(0, 10)), []);
    const [[, next]] = decoder.decode(second.subarray(10));
    assert.equal(joined.body.toString(), "first");
    assert.equal(next.body.toString(), "other");
  });

  it("refuses a length over the limit before reading the frame", () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME_LEN + 1);
    assert.throws(() => new FlatbuffersCodec().decode(header), FrameTooLarge);
  });

  /** A valid event frame, a function that breaks a copy of it, and the error. */
  const event = () =>
    new FlatbuffersCodec().encode(EVENT, {
      id: 1,
      headers: { a: "b" },
      body: Buffer.from("hi"),
    });
  const eventTable = (frame) => rootOf(frame).message(new wire.Event());
  for (const [what, breakIt, error] of [
    ["a length of 0", () => Buffer.alloc(4), /empty frame/],
    [
      "a buffer too short to hold a root and an identifier",
      () => Buffer.from([0, 0, 0, 4, 1, 2, 3, 4]),
      /malformed flatbuffers frame: 4 bytes/,
    ],
    [
      "a wrong identifier",
      (frame) => frame.fill("XXXX", 8, 12),
      /identifier "XXXX", not "FRT1"/,
    ],
    [
      "a msgpack frame",
      () => new MsgpackCodec().encode(READY, {}),
      /malformed flatbuffers frame/,
    ],
    [
      "an unknown kind",
      () => new FlatbuffersCodec().encode(42, {}),
      /no flatbuffers table for message kind 42/,
    ],
    [
      "a root offset past the end",
      (frame) => {
        frame.writeUInt32LE(0x00ffffff, 4);
        return frame;
      },
      /unknown message kind 0/,
    ],
    [
      "a body longer than the frame",
      (frame) => {
        frame.writeUInt32LE(1 << 30, vectorLengthAt(eventTable(frame), 20));
        return frame;
      },
      /malformed event message: a body of 1073741824 bytes does not fit/,
    ],
    [
      "a body that reaches past the frame",
      (frame) => {
        const at = vectorLengthAt(eventTable(frame), 20);
        frame.writeUInt32LE(frame.length - at, at);
        // The next frame's bytes are there, but belong to it.
        return Buffer.concat([frame, event()]);
      },
      /malformed event message: the body lies outside the frame/,
    ],
    [
      "more pairs than the frame can hold",
      (frame) => {
        frame.writeUInt32LE(1 << 30, vectorLengthAt(eventTable(frame), 16));
        return frame;
      },
      /malformed event message: a map of 1073741824 pairs does not fit/,
    ],
  ]) {
    it(`refuses ${what}`, () => {
      let frame;
      try {
        frame = breakIt(event());
      } catch (err) {
        // Not even an encoder writes it.
        assert.match(err.message, error);
        return;
      }
      assert.throws(() => new FlatbuffersCodec().decode(frame), error);
      assert.throws(() => new FlatbuffersCodec().decode(frame), ProtocolError);
    });
  }
});

describe("json lines", () => {
  it("is one object per line, kind named, bin as base64", () => {
    const line = new JsonCodec().encode(RESPONSE, {
      id: 1,
      body: Buffer.from("hi"),
    });
    assert.equal(line.toString(), '{"kind":"response","id":1,"body":"aGk="}\n');
  });

  it("accepts \\r\\n and ignores unknown keys", () => {
    const [[kind, payload]] = new JsonCodec().decode(
      Buffer.from('{"kind":"event","id":4,"body":"aGk=","later":true}\r\n'),
    );
    assert.equal(kind, EVENT);
    assert.equal(payload.id, 4);
    assert.equal(Buffer.from(payload.body).toString(), "hi");
  });

  for (const [what, line, error] of [
    ["a blank line", "  \n", /empty frame/],
    ["text that is not JSON", "{nope\n", /malformed json/],
    ["JSON that is not an object", "[1]\n", /not an object/],
    [
      "an unknown kind",
      '{"kind":"teleport"}\n',
      /unknown message kind "teleport"/,
    ],
    ["a missing kind", "{}\n", /unknown message kind undefined/],
    [
      "a body that is not base64",
      '{"kind":"event","id":1,"body":"a*=="}\n',
      /not valid base64/,
    ],
    [
      "a body without padding",
      '{"kind":"event","id":1,"body":"aGk"}\n',
      /not valid base64/,
    ],
  ]) {
    it(`refuses ${what}`, () => {
      assert.throws(() => new JsonCodec().decode(Buffer.from(line)), error);
    });
  }
});

describe("json lines with large bodies", () => {
  // Bodies of 4 KiB and more take a faster way through the codec: encoded with the
  // base64 written straight into the line, decoded with the body cut out of the line
  // before JSON.parse. These check it gives what JSON.stringify and JSON.parse give.
  // Every byte value, so the base64 has every character, "+" and "/" among them.
  const big = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));
  const base64 = big.toString("base64");
  const nonCanonical = `${"A".repeat(8000)}QR==`;

  /** The message of `line` the plain way: JSON.parse whole, the regex for base64. */
  function reference(line) {
    const obj = JSON.parse(line.replace(/\r?\n$/, ""));
    const name = obj.kind;
    delete obj.kind;
    if ((name === "event" || name === "response") && obj.body != null) {
      if (
        typeof obj.body !== "string" ||
        obj.body.length % 4 !== 0 ||
        !/^[A-Za-z0-9+/]*={0,2}$/.test(obj.body)
      ) {
        throw new Error("not valid base64");
      }
      obj.body = Buffer.from(obj.body, "base64");
    }
    return obj;
  }

  it("encodes byte for byte as JSON.stringify would", () => {
    const payload = {
      id: 7,
      status: 200,
      headers: { "x-q": 'a "quoted" \\ value', "x-u": "żółw" },
      content_type: "application/octet-stream",
      body: new Uint8Array(big),
      error: "after the body",
    };
    const line = new JsonCodec().encode(RESPONSE, payload);
    const expected = JSON.stringify({
      kind: "response",
      ...payload,
      body: base64,
    });
    assert.equal(line.toString("utf8"), `${expected}\n`);
    const [[kind, decoded]] = new JsonCodec().decode(line);
    assert.equal(kind, RESPONSE);
    assert.ok(decoded.body.equals(big));
    assert.equal(decoded.error, "after the body");
    assert.equal(decoded.headers["x-u"], "żółw");
  });

  it("decodes a large line cut into pieces", () => {
    const codec = new JsonCodec();
    const bytes = Buffer.concat([
      codec.encode(EVENT, { id: 1, body: big }),
      codec.encode(READY, {}),
      codec.encode(EVENT, { id: 2, body: big.subarray(1) }),
    ]);
    for (const step of [1000, 65536, bytes.length]) {
      const messages = decodeInPieces(new JsonCodec(), bytes, step);
      assert.deepEqual(
        messages.map(([kind, payload]) => [kind, payload.id]),
        [
          [EVENT, 1],
          [READY, undefined],
          [EVENT, 2],
        ],
      );
      assert.ok(messages[0][1].body.equals(big));
      assert.ok(messages[2][1].body.equals(big.subarray(1)));
    }
  });

  for (const [what, line] of [
    [
      "with spaces",
      ` { "kind" : "event" , "id" : 1 , "body" : "${base64}" } \r\n`,
    ],
    ["with the body first", `{"body":"${base64}","kind":"event","id":1}\n`],
    [
      "with nested maps after the body",
      `{"kind":"event","body":"${base64}","headers":{"body":"x","a":[1,{"b":"}"}]},"q":"\\\\\\""}\n`,
    ],
    [
      "with the body twice",
      `{"kind":"event","body":"${base64}","body":"aGk="}\n`,
    ],
    [
      "with a large body twice",
      `{"kind":"event","body":"aGk=","body":"${base64}"}\n`,
    ],
    [
      "with an escaped key that spells body",
      `{"kind":"event","body":"${base64}","b\\u006fdy":"aGk="}\n`,
    ],
    [
      "with an escaped slash in the body",
      `{"kind":"event","body":"${base64.replaceAll("/", "\\/")}"}\n`,
    ],
    [
      "with stray bits before the padding",
      `{"kind":"event","body":"${nonCanonical}"}\n`,
    ],
    ["with a body that is not bin", `{"kind":"log","body":"${base64}"}\n`],
    ["with a null body", `{"kind":"event","body":null,"pad":"${base64}"}\n`],
  ]) {
    it(`decodes a large line ${what} as JSON.parse does`, () => {
      const [[, payload]] = new JsonCodec().decode(Buffer.from(line));
      assert.deepEqual(payload, reference(line));
    });
  }

  for (const [what, line, error] of [
    [
      "a body that is not base64",
      `{"kind":"event","body":"${base64.slice(4)}*==="}\n`,
      /malformed event message: body is not valid base64/,
    ],
    [
      "a url-safe body",
      `{"kind":"event","body":"${base64.replaceAll("+", "-")}"}\n`,
      /body is not valid base64/,
    ],
    [
      "a body with a control character",
      `{"kind":"event","body":"${base64.slice(4)}\tAAA"}\n`,
      /malformed json message: Bad control character/,
    ],
    [
      "a line that does not end its object",
      `{"kind":"event","body":"${base64}"\n`,
      /malformed json message/,
    ],
    [
      "a line with text after its object",
      `{"kind":"event","body":"${base64}"} x\n`,
      /malformed json message/,
    ],
    [
      "an unknown kind",
      `{"kind":"teleport","body":"${base64}"}\n`,
      /unknown message kind "teleport"/,
    ],
  ]) {
    it(`refuses a large line with ${what}`, () => {
      assert.throws(() => new JsonCodec().decode(Buffer.from(line)), error);
    });
  }
});

it("codecFor names the codecs of FERRITE_CODEC", () => {
  assert.equal(codecFor("json").name, "json");
  assert.equal(codecFor("msgpack").name, "msgpack");
  assert.equal(codecFor("flatbuffers").name, "flatbuffers");
  assert.throws(() => codecFor("toString"), /unknown codec "toString"/);
});
