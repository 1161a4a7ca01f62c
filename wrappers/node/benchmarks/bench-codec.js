"use strict";
// Micro-benchmark of codecs, in-process, no sockets.
//
// Times the two halves of an echo with a body of SIZE bytes: decoding one event frame
// that arrives in 64 KiB chunks (as a socket delivers it), and encoding the response
// that carries the same body back. Several codecs (comma-separated) are timed in turns,
// ROUNDS times each, so that a machine busy with other work slows them alike; each line
// gives the fastest round (the least disturbed) and the median one.
//
//   node benchmarks/bench-codec.js [json|msgpack|flatbuffers,...] [size] [seconds] [rounds]

const crypto = require("node:crypto");

const { codecFor } = require("../src/codec");
const { EVENT, RESPONSE } = require("../src/protocol");

const [codecNames = "json", size = "65536", seconds = "2", rounds = "1"] =
  process.argv.slice(2);

const CHUNK = 64 * 1024;
const body = crypto.randomBytes(Number(size));
const event = {
  id: 1,
  trigger: { kind: "http", name: "web" },
  method: "POST",
  path: "/",
  url: "/",
  query: {},
  headers: {
    host: "127.0.0.1:8080",
    "content-type": "application/octet-stream",
  },
  content_type: "application/octet-stream",
  body,
  timestamp: Date.now(),
  deadline: 0,
};
const response = {
  id: 1,
  status: 200,
  headers: {},
  content_type: "application/octet-stream",
  body,
};

/** Runs `step` for about `seconds`; its mean time in µs. */
function time(step) {
  for (let i = 0; i < 20; i++) step();
  const budget = BigInt(Math.round(Number(seconds) * 1e9));
  const started = process.hrtime.bigint();
  let runs = 0;
  let elapsed = 0n;
  do {
    step();
    runs += 1;
    elapsed = process.hrtime.bigint() - started;
  } while (elapsed < budget);
  return Number(elapsed) / 1e3 / runs;
}

/** One codec's frame, its chunks and the decode and encode steps to time. */
function subject(codecName) {
  const frame = codecFor(codecName).encode(EVENT, event);
  const chunks = [];
  for (let at = 0; at < frame.length; at += CHUNK) {
    chunks.push(frame.subarray(at, at + CHUNK));
  }
  const codec = codecFor(codecName);
  return {
    name: codecName,
    frame,
    chunks,
    decode: () => {
      let messages = [];
      for (const chunk of chunks) messages = codec.decode(chunk);
      if (messages.length !== 1 || messages[0][1].body.length !== body.length) {
        throw new Error("the event did not decode");
      }
    },
    encode: () => codec.encode(RESPONSE, response),
    decodes: [],
    encodes: [],
  };
}

const subjects = codecNames.split(",").map(subject);
for (let round = 0; round < Number(rounds); round++) {
  for (const s of subjects) {
    s.decodes.push(time(s.decode));
    s.encodes.push(time(s.encode));
  }
}

const us = (value) => `${value.toFixed(1)} µs`;
const sorted = (values) => [...values].sort((a, b) => a - b);
for (const s of subjects) {
  const decodes = sorted(s.decodes);
  const encodes = sorted(s.encodes);
  const middle = decodes.length >> 1;
  const both = decodes[0] + encodes[0];
  const spread =
    decodes.length > 1
      ? ` (median round: decode ${us(decodes[middle])}, encode ${us(encodes[middle])})`
      : "";
  console.log(
    `${s.name} ${size} B (frame ${s.frame.length} B in ${s.chunks.length} chunks): ` +
      `decode ${us(decodes[0])}, encode ${us(encodes[0])}, ` +
      `both ${us(both)} (${Math.round(1e6 / both)}/s)${spread}`,
  );
}
