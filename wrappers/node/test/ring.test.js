"use strict";
// The shm rings' addon over real segment files: the layout against
// schemas/shm-layout.json (constants and the worked example, read back from the file),
// creating, claiming and refusing segments, bytes both ways around the ring's end, and
// the sleep and ring steps.

const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { after, describe, it } = require("node:test");

const { Endpoint, layout } = require("../native");

const SCHEMA = JSON.parse(
  fs.readFileSync(
    path.join(__dirname, "..", "..", "..", "schemas", "shm-layout.json"),
    "utf8",
  ),
);

// /dev/shm where there is one, as the processor does.
const base = fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
const dir = fs.mkdtempSync(path.join(base, "ferrite-node-ring-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let files = 0;
const fresh = () => path.join(dir, `ring-${files++}`);

/** A new segment of `capacity` and both of its ends. */
function pair(capacity = 64) {
  const segment = fresh();
  const processor = Endpoint.create(segment, capacity);
  const wrapper = Endpoint.open(segment);
  return { segment, processor, wrapper };
}

describe("layout", () => {
  it("has the constants of schemas/shm-layout.json", () => {
    assert.equal(layout.magic, SCHEMA.magic);
    assert.equal(
      Buffer.from(SCHEMA.magic_ascii).readUInt32LE(),
      layout.magic,
      "FRNG, little-endian",
    );
    assert.equal(layout.version, SCHEMA.version);
    assert.equal(layout.line, SCHEMA.line);
    assert.equal(layout.dataOffset, SCHEMA.data_offset);
    assert.equal(layout.minCapacity, SCHEMA.capacity.min);
    assert.equal(layout.maxCapacity, SCHEMA.capacity.max);
    assert.equal(layout.doorbellByte, SCHEMA.doorbell_byte);
  });

  it("lays out a new segment as the schema says", () => {
    const segment = fresh();
    const processor = Endpoint.create(segment, 1024);
    const file = fs.readFileSync(segment);
    assert.equal(file.length, SCHEMA.data_offset + 2 * 1024);
    const words = SCHEMA.segment;
    assert.equal(file.readUInt32LE(words.magic.offset), SCHEMA.magic);
    assert.equal(file.readUInt32LE(words.version.offset), SCHEMA.version);
    assert.equal(file.readBigUInt64LE(words.capacity.offset), 1024n);
    assert.equal(file.readUInt32LE(words.attached.offset), 0);
    Endpoint.open(segment).close();
    assert.equal(
      fs.readFileSync(segment).readUInt32LE(words.attached.offset),
      1,
    );
    processor.close();
  });

  it("leaves the worked example's words and bytes in the file", () => {
    const example = SCHEMA.example;
    const { segment, processor, wrapper } = pair(example.capacity);
    const bytes = Buffer.from(Array.from({ length: 70 }, (_, i) => i));
    assert.equal(processor.write(bytes.subarray(0, 60)), 60);
    assert.equal(wrapper.read(64).length, 60);
    assert.equal(wrapper.consumerPrepareToSleep(), true);
    assert.equal(processor.write(bytes, 60), 10);
    assert.equal(processor.producerNeedsRing(), true);

    const file = fs.readFileSync(segment);
    const word = (ring, name) => {
      const at =
        SCHEMA.rings[ring].control_offset + SCHEMA.ring_control[name].offset;
      return Number(file.readBigUInt64LE(at));
    };
    for (const ring of ["to_wrapper", "to_processor"]) {
      for (const name of ["tail", "head", "producer_sleep", "consumer_sleep"]) {
        assert.equal(word(ring, name), example[ring][name], `${ring}.${name}`);
      }
    }
    assert.equal(
      file.readUInt32LE(SCHEMA.segment.attached.offset),
      example.attached,
    );
    const start =
      SCHEMA.data_offset + SCHEMA.rings.to_wrapper.index * example.capacity;
    assert.equal(
      file.subarray(start, start + example.capacity).toString("hex"),
      example.to_wrapper_data_hex,
    );
    wrapper.close();
    processor.close();
  });
});

describe("segments", () => {
  it("creates a private segment and refuses a bad capacity or an existing file", () => {
    for (const capacity of [0, 32, 1000, 2 ** 31]) {
      assert.throws(() => Endpoint.create(fresh(), capacity), {
        code: "ERR_RING_CAPACITY",
        message: /is not a power of two from 64 to 1073741824 bytes/,
      });
    }
    const segment = fresh();
    const processor = Endpoint.create(segment, 64);
    assert.equal(fs.statSync(segment).mode & 0o777, 0o600);
    assert.equal(processor.capacity(), 64);
    assert.throws(() => Endpoint.create(segment, 64), {
      code: "ERR_RING_IO",
      message: /File exists/,
    });
    processor.close();
  });

  it("lets one wrapper claim a segment, and refuses the next", () => {
    const { segment, processor, wrapper } = pair();
    assert.throws(() => Endpoint.open(segment), {
      code: "ERR_RING_ATTACHED",
      message: /already open by a wrapper/,
    });
    wrapper.close();
    // Closing does not give the claim back: the processor hands a segment out once.
    assert.throws(() => Endpoint.open(segment), { code: "ERR_RING_ATTACHED" });
    processor.close();
  });

  it("refuses what is not a segment", () => {
    const short = fresh();
    fs.writeFileSync(short, Buffer.alloc(100));
    assert.throws(() => Endpoint.open(short), {
      code: "ERR_RING_LAYOUT",
      message: /too short for the header/,
    });
    const zeros = fresh();
    fs.writeFileSync(zeros, Buffer.alloc(4096 + 128));
    assert.throws(() => Endpoint.open(zeros), {
      message: /magic is 0x00000000/,
    });
    const cut = fresh();
    Endpoint.create(cut, 64).close();
    fs.truncateSync(cut, 4096 + 64);
    assert.throws(() => Endpoint.open(cut), {
      message: /rings of 64 need 4224/,
    });
    assert.throws(() => Endpoint.open(path.join(dir, "missing")), {
      code: "ERR_RING_IO",
      message: /No such file/,
    });
  });

  it("throws once closed instead of touching the unmapped memory", () => {
    const { processor, wrapper } = pair();
    wrapper.close();
    assert.throws(() => wrapper.read(1), { code: "ERR_RING_CLOSED" });
    assert.throws(() => wrapper.write(Buffer.from("x")), {
      code: "ERR_RING_CLOSED",
    });
    processor.close();
  });
});

describe("rings", () => {
  it("carry bytes both ways", () => {
    const { processor, wrapper } = pair();
    assert.equal(processor.write(Buffer.from("event")), 5);
    assert.equal(wrapper.available(), 5);
    assert.equal(wrapper.read(64).toString(), "event");
    assert.equal(wrapper.read(64), null);
    assert.equal(wrapper.write(Buffer.from("response")), 8);
    assert.equal(processor.read(64).toString(), "response");
    processor.close();
    wrapper.close();
  });

  it("write what fits and wrap around the ring's end in order", () => {
    const { processor, wrapper } = pair(64);
    let sent = 0;
    let received = 0;
    for (let round = 0; round < 2000; round++) {
      const length = (round * 37) % 100;
      const out = Buffer.alloc(length, 0);
      for (let i = 0; i < length; i++) out[i] = (sent + i) & 0xff;
      const room = 64 - (sent - received);
      assert.equal(processor.free(), room);
      const n = processor.write(out);
      assert.equal(n, Math.min(length, room));
      sent += n;
      const chunk = wrapper.read((round * 53) % 100);
      for (const byte of chunk ?? []) {
        assert.equal(byte, received & 0xff);
        received += 1;
      }
    }
    assert.ok(sent > 40000, `${sent} bytes went through`);
    processor.close();
    wrapper.close();
  });

  it("say when to ring a sleeper, once per sleep", () => {
    const { processor, wrapper } = pair(64);
    processor.write(Buffer.from("a"));
    assert.equal(processor.producerNeedsRing(), false, "nobody sleeps");
    assert.equal(wrapper.consumerPrepareToSleep(), false, "bytes are there");
    wrapper.read(64);
    assert.equal(wrapper.consumerPrepareToSleep(), true);
    processor.write(Buffer.from("bc"));
    assert.equal(processor.producerNeedsRing(), true);
    assert.equal(processor.producerNeedsRing(), false);
    wrapper.consumerCancelSleep();
    assert.equal(wrapper.read(64).toString(), "bc");

    assert.equal(wrapper.write(Buffer.alloc(100)), 64);
    assert.equal(wrapper.producerPrepareToSleep(), true, "the ring is full");
    processor.read(10);
    assert.equal(processor.consumerNeedsRing(), true);
    assert.equal(processor.consumerNeedsRing(), false);
    wrapper.producerCancelSleep();
    assert.equal(wrapper.free(), 10);
    assert.equal(wrapper.producerPrepareToSleep(), false, "space is there");
    processor.read(64);
    assert.equal(
      processor.consumerNeedsRing(),
      false,
      "the sleep was withdrawn",
    );
    processor.close();
    wrapper.close();
  });
});
