"use strict";
// Round trips through a transport to wrapper.js in its own process: the fake processor
// (test/fake-processor.js) sends events to the `routes` fixture's /return-text, one at a
// time and then in pipelined batches, and reports µs per event.
//
//   node benchmarks/bench-transport.js [unix|tcp|shm] [spin µs] [events] [batch]

const { spawn } = require("node:child_process");
const path = require("node:path");

const { FakeProcessor } = require("../test/fake-processor");

const [transport = "unix", spin = "0", events = "20000", batch = "64"] =
  process.argv.slice(2);
const ROUTES = path.join(__dirname, "..", "test", "fixtures", "routes");

async function main() {
  const processor = await FakeProcessor.start({
    transport,
    spinMicros: Number(spin),
  });
  const child = spawn(
    process.execPath,
    [path.join(__dirname, "..", "wrapper.js")],
    {
      cwd: ROUTES,
      env: { ...process.env, ...processor.env(ROUTES, "handler:handler") },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  await processor.handshake();
  let id = 0;
  const timed = async (label, perRound) => {
    const rounds = Math.ceil(Number(events) / perRound);
    const start = process.hrtime.bigint();
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < perRound; i++) {
        processor.event(++id, { path: "/return-text" });
      }
      await processor.responses(perRound, [], 30000);
    }
    const micros = Number(process.hrtime.bigint() - start) / 1000;
    console.log(
      `${transport} spin ${spin} µs, ${label}: ${(micros / (rounds * perRound)).toFixed(1)} µs/event`,
    );
  };
  await timed("one at a time", 1);
  await timed(`batches of ${batch}`, Number(batch));
  processor.send("shutdown");
  await new Promise((resolve) => child.on("exit", resolve));
  await processor.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
