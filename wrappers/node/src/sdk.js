"use strict";
/**
 * What the wrapper takes from ferrite's Node.js SDK, in one place.
 *
 * The SDK is required by its place in ferrite's home, relative to this file
 * (`../../../sdk-node`), not as a package: so nothing is added to the handler's module
 * paths (`NODE_PATH`, which ESM handlers would not see anyway, and which would let the
 * wrapper's own dependencies shadow the handler's). The wrapper's dependencies resolve
 * from `wrappers/node/node_modules`, the SDK has none.
 */

const { Context } = require("../../../sdk-node/src/context");
const { EMPTY, asBuffer, setOwn } = require("../../../sdk-node/src/data");
const { Event } = require("../../../sdk-node/src/event");
const { Logger, parseLevel, plain } = require("../../../sdk-node/src/logger");
const { toWire } = require("../../../sdk-node/src/response");

module.exports = {
  Context,
  EMPTY,
  Event,
  Logger,
  asBuffer,
  parseLevel,
  plain,
  setOwn,
  toWire,
};
