"use strict";
// Micro-benchmark of the wrapper's own cost per event, in-process, no sockets.
//
// Builds N empty event frames as the processor would, then times the wrapper's part:
// decoding them in pipelined batches and running each through Worker#receive (event
// object, context, handler call, result conversion, response encoding).
//
//   node benchmarks/bench-worker.js [msgpack|json|flatbuffers] [events] [batch]

const { codecFor } = require("../src/codec");
const { Config } = require("../src/config");
const { EVENT } = require("../src/protocol");
const { Worker } = require("../src/worker");

const [codecName = "msgpack", events = "200000", batch = "64"] =
  process.argv.slice(2);

const frames = [];
const encoder = codecFor(codecName);
for (let id = 1; id <= Number(events); id++) {
  frames.push(
    encoder.encode(EVENT, {
      id,
      trigger: { kind: "http", name: "web" },
      method: "GET",
      path: "/",
      url: "/",
      query: {},
      headers: { host: "127.0.0.1:8080", "user-agent": "wrk" },
      content_type: "",
      body: Buffer.alloc(0),
      timestamp: Date.now(),
      deadline: 0,
    }),
  );
}
const chunks = [];
for (let i = 0; i < frames.length; i += Number(batch)) {
  chunks.push(Buffer.concat(frames.slice(i, i + Number(batch))));
}

let written = 0;
const connection = {
  codec: codecFor(codecName),
  send() {},
  queue() {
    written += 1;
  },
};
const config = Config.fromEnv({
  FERRITE_ADDRESS: "-",
  FERRITE_CODEC: codecName,
  FERRITE_CONCURRENCY: "64",
});
const worker = new Worker(connection, config);
worker.handler = (context) => context.callback("");

const started = process.hrtime.bigint();
for (const chunk of chunks) {
  worker.receive(connection.codec.decode(chunk));
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
if (written !== frames.length) throw new Error(`${written} responses`);
console.log(
  `${codecName}: ${((seconds / frames.length) * 1e6).toFixed(2)} µs/event ` +
    `(${Math.round(frames.length / seconds)} events/s, batches of ${batch})`,
);
