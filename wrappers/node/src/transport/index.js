"use strict";
/**
 * The transports, by the name `FERRITE_TRANSPORT` gives them: one file each, one line
 * here.
 *
 * A transport is `{ name, connect(address, config) }`: `connect` resolves with a duplex
 * byte stream to the processor at `FERRITE_ADDRESS` (a `net.Socket` for unix and tcp, a
 * `RingStream` over the shared-memory rings for shm, which also reads `config.shmPath`
 * and `config.spinMicros`), or rejects with why it could not connect. The stream is what {@link Connection} reads,
 * writes (corked into batches) and closes.
 */

const { ShmTransport } = require("./shm");
const { TcpTransport } = require("./tcp");
const { UnixTransport } = require("./unix");

const TRANSPORTS = {
  unix: UnixTransport,
  tcp: TcpTransport,
  shm: ShmTransport,
};

/** The transport named as in `FERRITE_TRANSPORT`. */
function transportFor(name) {
  const transport = Object.hasOwn(TRANSPORTS, name)
    ? TRANSPORTS[name]
    : undefined;
  if (transport === undefined) {
    throw new Error(
      `unknown transport ${JSON.stringify(name)}: expected one of ${Object.keys(TRANSPORTS).join(", ")}`,
    );
  }
  return transport;
}

module.exports = { TRANSPORTS, transportFor };
