"use strict";
/**
 * {@link Config}: what the processor tells a wrapper through the `FERRITE_*` variables
 * of `schemas/PROTOCOL.md`, read and checked once, before anything connects.
 */

const { CODECS } = require("./codec");
const { parseLevel } = require("./sdk");
const { TRANSPORTS } = require("./transport");

const DEFAULT_CONCURRENCY = 64;
const MAX_CONCURRENCY = 4096;
// A second: spinning longer than that is a misconfiguration, not a tuning.
const MAX_SPIN_MICROS = 1_000_000;

/** What the processor tells a wrapper through `FERRITE_*` variables. */
class Config {
  constructor(fields) {
    Object.assign(this, fields);
    Object.freeze(this);
  }

  /** Reads the variables; throws an Error naming the one missing or wrong. */
  static fromEnv(env) {
    const address = env.FERRITE_ADDRESS || "";
    if (!address) throw new Error("FERRITE_ADDRESS is not set");
    const transport = env.FERRITE_TRANSPORT || "unix";
    if (!Object.hasOwn(TRANSPORTS, transport)) {
      throw new Error(
        `FERRITE_TRANSPORT=${JSON.stringify(transport)} is not one of ${Object.keys(TRANSPORTS).join(", ")}`,
      );
    }
    const codec = env.FERRITE_CODEC || "msgpack";
    if (!Object.hasOwn(CODECS, codec)) {
      throw new Error(
        `FERRITE_CODEC=${JSON.stringify(codec)} is not one of ${Object.keys(CODECS).join(", ")}`,
      );
    }
    const workerId = env.FERRITE_WORKER_ID || "0";
    if (!/^\d+$/.test(workerId)) {
      throw new Error(
        `FERRITE_WORKER_ID=${JSON.stringify(workerId)} is not a number`,
      );
    }
    const concurrency = env.FERRITE_CONCURRENCY || String(DEFAULT_CONCURRENCY);
    if (
      !/^\d+$/.test(concurrency) ||
      Number(concurrency) < 1 ||
      Number(concurrency) > MAX_CONCURRENCY
    ) {
      throw new Error(
        `FERRITE_CONCURRENCY=${JSON.stringify(concurrency)} is not a number from 1 to ${MAX_CONCURRENCY}`,
      );
    }
    const shmPath = env.FERRITE_SHM_PATH || "";
    if (transport === "shm" && !shmPath) {
      throw new Error("FERRITE_SHM_PATH is not set (FERRITE_TRANSPORT=shm)");
    }
    const spinMicros = env.FERRITE_SPIN_MICROS || "0";
    if (!/^\d+$/.test(spinMicros) || Number(spinMicros) > MAX_SPIN_MICROS) {
      throw new Error(
        `FERRITE_SPIN_MICROS=${JSON.stringify(spinMicros)} is not a number of microseconds from 0 to ${MAX_SPIN_MICROS}`,
      );
    }
    const logLevel = env.FERRITE_LOG_LEVEL || "info";
    try {
      parseLevel(logLevel);
    } catch (err) {
      throw new Error(`FERRITE_LOG_LEVEL: ${err.message}`);
    }
    return new Config({
      transport,
      address,
      codec,
      token: env.FERRITE_TOKEN || "",
      handler: env.FERRITE_HANDLER || "",
      functionDir: env.FERRITE_FUNCTION_DIR || process.cwd(),
      functionName: env.FERRITE_FUNCTION_NAME || "",
      workerId: Number(workerId),
      logLevel,
      concurrency: Number(concurrency),
      shmPath,
      spinMicros: Number(spinMicros),
    });
  }
}

module.exports = { Config, DEFAULT_CONCURRENCY, MAX_CONCURRENCY };
