"use strict";
/**
 * The transports, by the name `FERRITE_TRANSPORT` gives them: one file each, one line
 * here.
 *
 * A transport is `{ name, connect(address) }`: `connect` resolves with a duplex byte
 * stream to the processor at `FERRITE_ADDRESS` (a `net.Socket` for unix and tcp), or
 * rejects with why it could not connect. The stream is what {@link Connection} reads,
 * writes (corked into batches) and closes.
 */

const { TcpTransport } = require("./tcp");
const { UnixTransport } = require("./unix");

const TRANSPORTS = { unix: UnixTransport, tcp: TcpTransport };

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
