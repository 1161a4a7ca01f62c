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
});
for (const [name, value, message] of [
  ["FERRITE_ADDRESS", "", /FERRITE_ADDRESS is not set/],
  ["FERRITE_TRANSPORT", "udp", /FERRITE_TRANSPORT="udp"/],
  ["FERRITE_CODEC", "xml", /FERRITE_CODEC="xml"/],
  ["FERRITE_CONCURRENCY", "0", /FERRITE_CONCURRENCY="0"/],
  ["FERRITE_CONCURRENCY", "4097", /from 1 to 4096/],
  ["FERRITE_WORKER_ID", "x", /FERRITE_WORKER_ID/],
  ["FERRITE_LOG_LEVEL", "loud", /FERRITE_LOG_LEVEL/],
]) {
  it(`rejects ${name}=${JSON.stringify(value)}`, () => {
    assert.throws(() => Config.fromEnv({ ...env, [name]: value }), message);
  });
}
