"use strict";
/**
 * ferrite's Node.js SDK: the API handlers see.
 *
 * Handlers are nuclio's: `exports.handler = (context, event) => context.callback(result)`,
 * or an `async` handler whose resolved value is the result, with an optional
 * `initContext(context)`. They need not require this package: `context.Response` is
 * here on every context. Require it for its types, or to build events and contexts in a
 * handler's own tests. The process that runs handlers and speaks the wire protocol is
 * ferrite's Node.js wrapper, `wrappers/node`.
 *
 * # Layout
 *
 * - `src/event.js`: {@link Event}.
 * - `src/response.js`: {@link Response} and how results become responses.
 * - `src/logger.js`: {@link Logger}, `context.logger`, writing to a sink its creator gives.
 * - `src/context.js`: {@link Context}.
 * - `src/data.js`: bytes as Buffers, and keys set as own properties.
 */

const { Context } = require("./context");
const { Event } = require("./event");
const { Logger } = require("./logger");
const { Response } = require("./response");
const { version } = require("../package.json");

module.exports = { Context, Event, Logger, Response, version };
