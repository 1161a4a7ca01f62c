"use strict";
/**
 * ferrite's Node.js SDK: the API handlers see, and the wrapper that runs them.
 *
 * Handlers are nuclio's: `exports.handler = (context, event) => context.callback(result)`,
 * or an `async` handler whose resolved value is the result, with an optional
 * `initContext(context)`. They need not require this package: `context.Response` is
 * here on every context. Require it for its types, or to build events and contexts in a
 * handler's own tests.
 *
 * # Layout
 *
 * - `src/event.js`: {@link Event}.
 * - `src/response.js`: {@link Response} and how results become responses.
 * - `src/logger.js`: {@link Logger}, `context.logger`.
 * - `src/context.js`: {@link Context}.
 * - `src/protocol.js`: the wire protocol's message kinds and codecs.
 * - `src/connection.js`: connecting to the processor; batched frame writes.
 * - `src/worker.js`: the wrapper itself: hello, load handler, init, ready, loop.
 */

const { Context } = require("./context");
const { Event } = require("./event");
const { Logger } = require("./logger");
const { Response } = require("./response");
const { version } = require("../package.json");

module.exports = { Context, Event, Logger, Response, version };
