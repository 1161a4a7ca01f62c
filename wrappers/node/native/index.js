"use strict";
/**
 * The shm transport's rings: the Node-API addon built from `ring_addon.c` (over the C
 * core in `wrappers/native`) by `make -C wrappers/node/native`, which
 * `scripts/install-deps` and `npm test` run.
 *
 * `Endpoint.create(path, capacity)` is the processor's end of a new segment (for tests),
 * `Endpoint.open(path)` the wrapper's end of the processor's. Their methods are the C
 * core's (`ferrite_ring.h`): `free`, `write(buffer, offset)`, `producerNeedsRing`,
 * `producerPrepareToSleep`, `producerCancelSleep`; `available`, `read(max)`,
 * `consumerNeedsRing`, `consumerPrepareToSleep`, `consumerCancelSleep`; `capacity`,
 * `close`.
 */

const path = require("node:path");

const ADDON = path.join(__dirname, "build", "ferrite_ring.node");

let addon;
try {
  addon = require(ADDON);
} catch (err) {
  throw new Error(
    `the shm transport's addon ${ADDON} is not built (run scripts/install-deps, or make -C ${__dirname}): ${err.message}`,
  );
}

const { Endpoint, layout } = addon;

Endpoint.create = (segmentPath, capacity) =>
  new Endpoint("create", segmentPath, capacity);
Endpoint.open = (segmentPath) => new Endpoint("open", segmentPath);

module.exports = { Endpoint, layout };
