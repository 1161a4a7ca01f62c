"use strict";
/**
 * ferrite's Node.js wrapper: runs one worker of a function with a nuclio-style handler.
 *
 * The processor starts it as `node wrappers/node/wrapper.js` in the function directory,
 * with the `FERRITE_*` variables of `schemas/PROTOCOL.md` set. This file reads them,
 * connects with the transport and codec they name, runs the worker, and exits with its
 * status. The handler's API comes from ferrite's Node.js SDK, required by its path
 * relative to this wrapper (`../../sdk-node`, see `src/sdk.js`), so nothing is added to
 * the handler's module paths.
 *
 * # Layout
 *
 * - `src/config.js`: {@link Config}, the `FERRITE_*` variables.
 * - `src/protocol.js`: the message kinds, the protocol version, protocol errors.
 * - `src/codec/`: one file per codec (`json.js`, `msgpack.js`, `flatbuffers.js`), named
 *   in `index.js`.
 * - `src/transport/`: one file per transport (`unix.js`, `tcp.js`, `shm.js`), named in
 *   `index.js`.
 * - `native/`: the Node-API addon over the C core of the shm rings (`wrappers/native`).
 * - `src/connection.js`: framed, batched reads and writes over a transport's stream.
 * - `src/worker.js`: hello, load handler, init, ready, loop.
 * - `src/sdk.js`: what the wrapper takes from the SDK.
 */

const { codecFor } = require("./src/codec");
const { Config } = require("./src/config");
const { Connection } = require("./src/connection");
const { PROTOCOL_VERSION } = require("./src/protocol");
const { transportFor } = require("./src/transport");
const { Worker, complain } = require("./src/worker");

/** Runs a wrapper configured by `FERRITE_*` variables; resolves with the exit status. */
async function main(env = process.env) {
  let config;
  try {
    config = Config.fromEnv(env);
  } catch (err) {
    complain(err.message);
    return 1;
  }
  const protocol = env.FERRITE_PROTOCOL;
  if (protocol && protocol !== String(PROTOCOL_VERSION)) {
    // Not fatal here: hello says which version this is, and the processor decides.
    complain(
      `the processor speaks protocol ${protocol}, this wrapper ${PROTOCOL_VERSION}`,
    );
  }
  let socket;
  try {
    socket = await transportFor(config.transport).connect(
      config.address,
      config,
    );
  } catch (err) {
    complain(
      `cannot connect to ${config.transport} ${config.address}: ${err.message}`,
    );
    return 1;
  }
  const conn = new Connection(socket, codecFor(config.codec));
  try {
    return await new Worker(conn, config).run();
  } finally {
    await conn.close();
  }
}

// Run as the processor runs it; required (by the tests), it only defines `main`.
if (require.main === module) {
  main().then(
    (status) => process.exit(status),
    (err) => {
      complain(err?.stack ?? err);
      process.exit(1);
    },
  );
}

module.exports = { main };
