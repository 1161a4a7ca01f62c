"use strict";
// wrappers/node/wrapper.js as the processor runs it: a real process, its exit status.

const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const path = require("node:path");
const { it } = require("node:test");

const { FakeProcessor } = require("./fake-processor");

const WRAPPER = path.join(__dirname, "..", "wrapper.js");
const BUSY = path.join(__dirname, "fixtures", "busy");
const ROUTES = path.join(__dirname, "fixtures", "routes");

function spawnWrapper(processor, extra = {}, dir = BUSY) {
  const child = spawn(process.execPath, [WRAPPER], {
    cwd: dir,
    env: { ...process.env, ...processor.env(dir, "handler:handler", extra) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, output })),
  );
  return { child, exited };
}

for (const [codec, transport] of [
  ["msgpack", "unix"],
  ["msgpack", "tcp"],
  ["msgpack", "shm"],
  ["json", "unix"],
  ["flatbuffers", "unix"],
  ["flatbuffers", "shm"],
]) {
  it(`runs a worker over ${codec}/${transport} and exits 0 on shutdown, timers pending`, async () => {
    const processor = await FakeProcessor.start({ codec, transport });
    const { child, exited } = spawnWrapper(processor);
    const { hello } = await processor.handshake();
    assert.equal(hello.pid, child.pid);
    processor.event(1);
    const [response] = (await processor.responses(1)).values();
    assert.equal(Buffer.from(response.body).toString(), `pid ${child.pid}`);
    processor.send("shutdown");
    const { code, output } = await exited;
    assert.equal(code, 0);
    assert.match(output, /printed by the handler/);
    await processor.close();
  });
}

for (const transport of ["unix", "shm"]) {
  it(`answers every event of rounds of pipelined ones (${transport})`, async () => {
    // Events arrive while the wrapper's stream takes a batch of responses: a response
    // written then must not be lost. (The shm stream once lost some, and a round hung,
    // in three runs of four: only with the processor in another process, as here.)
    const processor = await FakeProcessor.start({ transport });
    const { exited } = spawnWrapper(processor, {}, ROUTES);
    await processor.handshake();
    let id = 0;
    for (let round = 0; round < 1000; round++) {
      for (let i = 0; i < 64; i++) {
        processor.event(++id, { path: "/return-text" });
      }
      const responses = await processor.responses(64);
      assert.ok(responses.has(id - 63) && responses.has(id), `round ${round}`);
    }
    processor.send("shutdown");
    assert.equal((await exited).code, 0);
    await processor.close();
  });
}

it("exits with the status the handler exits with", async () => {
  const processor = await FakeProcessor.start({ codec: "json" });
  const { exited } = spawnWrapper(processor);
  await processor.handshake();
  processor.event(1, { path: "/exit" });
  assert.equal((await exited).code, 3);
  await processor.close();
});

for (const transport of ["unix", "shm"]) {
  it(`exits 0 when the processor goes away (${transport})`, async () => {
    const processor = await FakeProcessor.start({ transport });
    const { exited } = spawnWrapper(processor);
    await processor.handshake();
    processor.socket.end();
    assert.equal((await exited).code, 0);
    await processor.close();
  });
}

it("exits 1 with a message when the shm segment is already claimed", async () => {
  const processor = await FakeProcessor.start({ transport: "shm" });
  const { Endpoint } = require("../native");
  const other = Endpoint.open(processor.ring.path);
  const { exited } = spawnWrapper(processor);
  const { code, output } = await exited;
  assert.equal(code, 1);
  assert.match(
    output,
    /ferrite node wrapper: cannot connect to shm .*: shared-memory segment .* is already open by a wrapper/,
  );
  other.close();
  await processor.close();
});

it("exits 1 with a message when it cannot connect", async () => {
  const processor = await FakeProcessor.start();
  await processor.close();
  const { exited } = spawnWrapper(processor);
  const { code, output } = await exited;
  assert.equal(code, 1);
  assert.match(output, /ferrite node wrapper: cannot connect to unix /);
});
