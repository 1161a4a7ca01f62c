"use strict";
// Micro-benchmark of a codec on large bodies, in-process, no sockets.
//
// Times the two halves of an echo with a body of SIZE bytes: decoding one event frame
// that arrives in 64 KiB chunks (as a socket delivers it), and encoding the response
// that carries the same body back.
//
//   node benchmarks/bench-codec.js [json|msgpack|flatbuffers] [size] [seconds]

const crypto = require("node:crypto");

const { codecFor } = require("../src/codec");
const { EVENT, RESPONSE } = require("../src/protocol");

const [codecName = "json", size = "65536", seconds = "2"] =
  process.argv.slice(2);

const CHUNK = 64 * 1024;
const body = crypto.randomBytes(Number(size));
const frame = codecFor(codecName).encode(EVENT, {
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
});
const chunks = [];
for (let at = 0; at < frame.length; at += CHUNK) {
  chunks.push(frame.subarray(at, at + CHUNK));
}

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

const codec = codecFor(codecName);
const decode = time(() => {
  let messages = [];
  for (const chunk of chunks) messages = codec.decode(chunk);
  if (messages.length !== 1 || messages[0][1].body.length !== body.length) {
    throw new Error("the event did not decode");
  }
});
const encode = time(() => {
  codec.encode(RESPONSE, {
    id: 1,
    status: 200,
    headers: {},
    content_type: "application/octet-stream",
    body,
  });
});
const us = (value) => `${value.toFixed(1)} µs`;
console.log(
  `${codecName} ${size} B (frame ${frame.length} B in ${chunks.length} chunks): ` +
    `decode ${us(decode)}, encode ${us(encode)}, ` +
    `both ${us(decode + encode)} (${Math.round(1e6 / (decode + encode))}/s)`,
);
