"use strict";
// The FERRITE_* variables as the wrapper reads them.

const assert = require("node:assert/strict");
const { it } = require("node:test");

const { Config } = require("../src/config");

const env = { FERRITE_ADDRESS: "/tmp/x.sock" };

it("reads FERRITE_* variables with defaults", () => {
  const config = Config.fromEnv(env);
  assert.equal(config.transport, "unix");
  assert.equal(config.codec, "msgpack");
  assert.equal(config.concurrency, 64);
  assert.equal(config.logLevel, "info");
  assert.equal(config.workerId, 0);
  assert.equal(config.spinMicros, 0);
});

it("reads every codec's name", () => {
  for (const codec of ["json", "msgpack", "flatbuffers"]) {
    assert.equal(Config.fromEnv({ ...env, FERRITE_CODEC: codec }).codec, codec);
  }
});

it("reads the shm segment's path and the spin time", () => {
  const config = Config.fromEnv({
    ...env,
    FERRITE_TRANSPORT: "shm",
    FERRITE_SHM_PATH: "/dev/shm/ferrite-x/worker-0.ring",
    FERRITE_SPIN_MICROS: "50",
  });
  assert.equal(config.transport, "shm");
  assert.equal(config.shmPath, "/dev/shm/ferrite-x/worker-0.ring");
  assert.equal(config.spinMicros, 50);
});
for (const [name, value, message] of [
  ["FERRITE_ADDRESS", "", /FERRITE_ADDRESS is not set/],
  ["FERRITE_TRANSPORT", "udp", /FERRITE_TRANSPORT="udp"/],
  ["FERRITE_CODEC", "xml", /FERRITE_CODEC="xml"/],
  ["FERRITE_CONCURRENCY", "0", /FERRITE_CONCURRENCY="0"/],
  ["FERRITE_CONCURRENCY", "4097", /from 1 to 4096/],
  ["FERRITE_WORKER_ID", "x", /FERRITE_WORKER_ID/],
  ["FERRITE_LOG_LEVEL", "loud", /FERRITE_LOG_LEVEL/],
  ["FERRITE_TRANSPORT", "shm", /FERRITE_SHM_PATH is not set/],
  ["FERRITE_SPIN_MICROS", "-1", /FERRITE_SPIN_MICROS="-1"/],
  ["FERRITE_SPIN_MICROS", "1000001", /from 0 to 1000000/],
]) {
  it(`rejects ${name}=${JSON.stringify(value)}`, () => {
    assert.throws(() => Config.fromEnv({ ...env, [name]: value }), message);
  });
}
