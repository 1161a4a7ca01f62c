"use strict";
/**
 * `context`: what a handler and its `initContext` hook share within one worker.
 *
 * One worker runs many events at once, so each event gets its own context object whose
 * prototype is the worker's: it reads everything the worker's context has (`userData`,
 * `workerId`, whatever `initContext` set on it) and adds what belongs to that event
 * alone: `callback`, a `logger` whose lines carry the event's id, and `trigger`.
 */

const { Logger } = require("./logger");
const { Response } = require("./response");

/**
 * nuclio's context, one per worker and kept for the worker's life.
 *
 * `userData` is where `initContext` leaves state (clients, caches) for the handler; keep
 * state there: a property a handler sets on `context` itself belongs to that event's
 * context only.
 */
class Context {
  constructor({
    logger = new Logger(),
    workerId = 0,
    functionName = "",
    userData = {},
  } = {}) {
    this.logger = logger;
    this.workerId = workerId;
    this.functionName = functionName;
    this.userData = userData;
    this.trigger = undefined;
  }

  /** Answers the current event; only the context handed to a handler has a real one. */
  callback() {
    throw new Error(
      "context.callback can only answer an event, not be called here",
    );
  }

  /**
   * The context for one event: inherits this one, and answers the event through
   * `answer` when the handler calls `context.callback(result)`.
   */
  forEvent(event, answer) {
    const context = Object.create(this);
    context.callback = answer;
    context.logger = this.logger.forEvent(event.id);
    context.trigger = event.trigger;
    return context;
  }
}

/** So handlers can write `new context.Response(...)` without requiring the SDK. */
Context.prototype.Response = Response;

module.exports = { Context };
