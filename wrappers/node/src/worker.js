"use strict";
/**
 * {@link Worker}: the Node.js wrapper's work, in the shape every ferrite wrapper has:
 * hello, load handler, init, ready, loop (event -> response, log).
 *
 * `wrapper.js` reads the config, connects and hands the connection to a Worker. A
 * Worker takes its inputs as arguments (config, connection), so tests drive it
 * in-process against a fake processor.
 *
 * Node is asynchronous, so one wrapper holds many events at once: it declares
 * `FERRITE_CONCURRENCY` in its hello, starts each event as soon as it is read, and
 * answers each when its handler is done, in any order, matched by id. Declared 1, it runs
 * events one at a time in the order they came, as PROTOCOL.md §5 asks.
 */

const fs = require("node:fs");
const path = require("node:path");
const { pathToFileURL } = require("node:url");

const {
  EVENT,
  HELLO,
  INIT_ERROR,
  LOG,
  PING,
  PONG,
  PROTOCOL_VERSION,
  ProtocolError,
  READY,
  RESPONSE,
  SHUTDOWN,
  kindName,
} = require("./protocol");
const { Context, Event, Logger, plain, toWire } = require("./sdk");

const HANDLER_EXTENSIONS = [".js", ".mjs", ".cjs"];

/** Text that can always be sent as UTF-8: lone surrogates become U+FFFD. */
function wellFormed(text) {
  return typeof text.toWellFormed === "function"
    ? text.toWellFormed()
    : Buffer.from(text, "utf8").toString("utf8");
}

/** The name a thrown value goes by: its class's, unless it set a `name` of its own. */
function errorName(err) {
  const name = typeof err.name === "string" ? err.name : "";
  const ctor = err.constructor?.name;
  if (name === "Error" && ctor && ctor !== "Error") return ctor;
  return name || ctor || "Error";
}

/**
 * A thrown value as one line a user can act on: `TypeError: x is not a function`.
 *
 * Errors give `Name: message`; anything else thrown (`throw "boom"`, nuclio-style) its
 * text. A SyntaxError in the handler's file keeps the file and line that Node puts at
 * the top of its stack. Newlines become spaces.
 */
function describe(err) {
  let line;
  try {
    if (err instanceof Error) {
      const name = errorName(err);
      line = err.message ? `${name}: ${err.message}` : name;
      if (err instanceof SyntaxError && typeof err.stack === "string") {
        const where = /^(\/[^\n]*:\d+)\n/.exec(err.stack);
        if (where) line += ` (${where[1]})`;
      }
    } else {
      line = String(err);
    }
  } catch {
    line = "<the thrown value cannot be shown as text>";
  }
  return wellFormed(line.split(/\r?\n/).join(" ").trim() || "Error");
}

function stackOf(err) {
  if (err instanceof Error && typeof err.stack === "string") return err.stack;
  return describe(err);
}

/** The file a `file:export` handler names, in the function directory: as written when it
 * has an extension Node loads, else the first of `.js`, `.mjs`, `.cjs` that exists. */
function handlerFile(file, functionDir) {
  const base = path.resolve(functionDir, file);
  const candidates = HANDLER_EXTENSIONS.includes(path.extname(file))
    ? [base]
    : HANDLER_EXTENSIONS.map((ext) => base + ext);
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (found === undefined) {
    const names = candidates.map((candidate) => path.basename(candidate));
    throw new Error(
      `handler file not found: none of ${names.join(", ")} in ${path.dirname(base)}`,
    );
  }
  return found;
}

/** A module's export `name` (dotted for nested ones), from ESM exports or from the
 * `module.exports` of a CommonJS module. */
function exportOf(namespace, name) {
  const walk = (root) =>
    name
      .split(".")
      .reduce((value, part) => (value == null ? undefined : value[part]), root);
  const direct = walk(namespace);
  if (direct !== undefined) return direct;
  const exported = namespace.default;
  return exported != null && typeof exported !== "string"
    ? walk(exported)
    : undefined;
}

/**
 * `{ module, handler, initContext }` for a `file:export` spec, imported from the function
 * directory with `import()`, so CommonJS and ESM handlers both load. Failures throw the
 * error a user would see.
 */
async function loadHandler(spec, functionDir) {
  const colon = spec.lastIndexOf(":");
  const file = spec.slice(0, colon);
  const name = spec.slice(colon + 1);
  if (colon < 0 || !file || !name) {
    throw new Error(
      `handler ${JSON.stringify(spec)} is not of the form file:export, e.g. handler:handler`,
    );
  }
  const filePath = handlerFile(file, functionDir);
  const namespace = await import(pathToFileURL(filePath).href);
  const handler = exportOf(namespace, name);
  if (typeof handler !== "function") {
    const what =
      handler === undefined
        ? "not exported"
        : `a ${typeof handler}, not a function`;
    throw new TypeError(
      `handler ${JSON.stringify(name)} in ${path.basename(filePath)} is ${what}`,
    );
  }
  const initContext = exportOf(namespace, "initContext");
  if (initContext !== undefined && typeof initContext !== "function") {
    throw new TypeError(
      `initContext in ${path.basename(filePath)} is a ${typeof initContext}, not a function`,
    );
  }
  return { module: namespace, handler, initContext };
}

function isThenable(value) {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof value.then === "function"
  );
}

/** One wrapper's conversation with the processor over a {@link Connection}. */
class Worker {
  constructor(conn, config) {
    this.conn = conn;
    this.config = config;
    this.codec = conn.codec;
    this.logger = new Logger(
      (level, message, fields, id) => this.log(level, message, fields, id),
      config.logLevel,
    );
    this.context = new Context({
      logger: this.logger,
      workerId: config.workerId,
      functionName: config.functionName,
    });
    this.module = undefined;
    this.handler = undefined;
    this.initContext = undefined;
    // Events started and not yet answered.
    this.inFlight = 0;
    // Events read and not yet started (concurrency 1 only).
    this.waiting = [];
    this.pumping = false;
    this.stopping = false;
    this._finish = undefined;
  }

  /** The whole conversation; resolves with the process's exit status. */
  async run() {
    this.hello();
    try {
      await this.loadHandler();
      await this.init();
    } catch (err) {
      this.initError(err);
      return 1;
    }
    this.ready();
    return this.loop();
  }

  /** Introduces the wrapper, before any user code can fail. */
  hello() {
    this.conn.send(
      this.codec.encode(HELLO, {
        protocol: PROTOCOL_VERSION,
        token: this.config.token,
        runtime: "nodejs",
        runtime_version: process.versions.node,
        pid: process.pid,
        concurrency: this.config.concurrency,
      }),
    );
  }

  /** Imports the user's file and finds the handler `FERRITE_HANDLER` names. */
  async loadHandler() {
    const loaded = await loadHandler(
      this.config.handler,
      this.config.functionDir,
    );
    this.module = loaded.module;
    this.handler = loaded.handler;
    this.initContext = loaded.initContext;
  }

  /** Runs the module's `initContext(context)` once, if it has one, awaiting it. */
  async init() {
    const initContext = this.initContext;
    if (initContext !== undefined) await initContext(this.context);
  }

  /** Tells the processor why the handler did not load (the process then exits). */
  initError(err) {
    this.conn.send(
      this.codec.encode(INIT_ERROR, {
        message: describe(err),
        detail: wellFormed(stackOf(err)),
      }),
    );
  }

  /** Tells the processor events may come. */
  ready() {
    this.conn.send(this.codec.encode(READY, {}));
  }

  /**
   * Runs events as they come until `shutdown` or the end of the stream, then answers
   * the ones in hand; resolves with the exit status (0, or 1 when the stream broke the
   * protocol).
   */
  loop() {
    return new Promise((resolve) => {
      this._finish = resolve;
      this.conn.listen({
        onMessages: (messages) => this.receive(messages),
        onEnd: () => this.stop(),
        onError: (err) => this.broken(err),
      });
    });
  }

  /** Handles the messages of one read. */
  receive(messages) {
    const ordered = this.config.concurrency === 1;
    for (const message of messages) {
      const [kind, payload] = message;
      if (this.stopping) break;
      if (kind === EVENT) {
        if (ordered) {
          this.waiting.push(message);
        } else {
          this.handleEvent(payload);
        }
      } else if (kind === PING) {
        // In order, a pong follows the answers to the events read before the ping.
        if (ordered) {
          this.waiting.push(message);
        } else {
          this.pong(payload);
        }
      } else if (kind === SHUTDOWN) {
        this.stop();
      } else {
        this.broken(
          new ProtocolError(
            `unexpected ${kindName(kind)} message from the processor`,
          ),
        );
        return;
      }
    }
    if (this.waiting.length > 0 && this.inFlight === 0) this.runWaiting();
  }

  pong(payload) {
    this.conn.send(this.codec.encode(PONG, { nonce: payload.nonce ?? 0 }));
  }

  /**
   * Concurrency 1: runs the events read so far one at a time, in order. Each response
   * is written before the next event starts, because the processor blames a crash on
   * the oldest unanswered event (PROTOCOL.md §5).
   */
  runWaiting() {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiting.length > 0 && this.inFlight === 0) {
        const [kind, payload] = this.waiting.shift();
        if (kind === EVENT) {
          this.handleEvent(payload);
        } else {
          this.pong(payload);
        }
      }
    } finally {
      this.pumping = false;
    }
    this.maybeFinish(0);
  }

  /** No more events will come: answer the ones in hand, then finish. */
  stop() {
    this.stopping = true;
    this.maybeFinish(0);
  }

  /** The stream broke or carried something the protocol does not allow. */
  broken(err) {
    if (this._finish === undefined) return;
    const code = err instanceof ProtocolError ? 1 : 0;
    const what =
      err instanceof ProtocolError
        ? `protocol error, stopping: ${err.message}`
        : `connection to the processor lost: ${err.message}`;
    complain(what);
    this.stopping = true;
    this.waiting.length = 0;
    this.inFlight = 0;
    this.maybeFinish(code);
  }

  maybeFinish(code) {
    if (
      this.stopping &&
      this.inFlight === 0 &&
      this.waiting.length === 0 &&
      this._finish !== undefined
    ) {
      const finish = this._finish;
      this._finish = undefined;
      finish(code);
    }
  }

  /**
   * Runs the handler on one event. It is answered by the first of: `context.callback`,
   * a value the handler returns (not `undefined`), or the promise it returns (resolved
   * with `undefined`: an empty 200). A handler that returns nothing and never calls back
   * is never answered, and the processor's eventTimeout ends it.
   */
  handleEvent(payload) {
    const id = payload.id;
    if (typeof id !== "number") {
      this.broken(new ProtocolError("malformed event message: no id"));
      return;
    }
    let event;
    try {
      event = Event.fromWire(payload);
    } catch (err) {
      this.broken(err);
      return;
    }
    let answered = false;
    this.inFlight += 1;
    const answer = (result) => {
      if (answered) return;
      answered = true;
      if (result instanceof Error) {
        this.respondError(id, result);
      } else {
        this.respond(id, result);
      }
      this.done();
    };
    const fail = (err) => {
      if (answered) return;
      answered = true;
      this.respondError(id, err);
      this.done();
    };
    const context = this.context.forEvent(event, answer);
    const handler = this.handler;
    let result;
    try {
      result = handler(context, event);
    } catch (err) {
      fail(err);
      return;
    }
    if (isThenable(result)) {
      result.then(answer, fail);
    } else if (result !== undefined) {
      answer(result);
    }
  }

  /** One event answered: start the next waiting one, or finish when stopping. */
  done() {
    this.inFlight -= 1;
    if (this.inFlight > 0) return;
    if (this.waiting.length > 0) {
      // Inside runWaiting's loop (a synchronous answer) the loop starts the next one.
      this.runWaiting();
    } else {
      this.maybeFinish(0);
    }
  }

  /** Sends the response for `result`, or a 500 when it cannot be sent. */
  respond(id, result) {
    let frame;
    try {
      const [status, headers, contentType, body] = toWire(result);
      frame = this.codec.encode(RESPONSE, {
        id,
        status,
        headers,
        content_type: contentType,
        body,
      });
    } catch (err) {
      this.respondError(id, err);
      return;
    }
    this.write(frame);
  }

  /** The 500 for a handler that threw or rejected, after an error log with the stack. */
  respondError(id, err) {
    const message = describe(err);
    this.log("error", `handler raised ${message}`, { stack: stackOf(err) }, id);
    this.write(
      this.codec.encode(RESPONSE, {
        id,
        status: 500,
        headers: {},
        content_type: "",
        body: Buffer.from(message, "utf8"),
        error: message,
      }),
    );
  }

  /** A response goes out with the others of this turn; one at a time, it goes now. */
  write(frame) {
    if (this.config.concurrency === 1) {
      this.conn.send(frame);
    } else {
      this.conn.queue(frame);
    }
  }

  /** The logger's sink: a `log` frame, written at once (after queued frames). */
  log(level, message, fields, id) {
    const payload = { level, message: wellFormed(message) };
    if (id !== undefined) payload.id = id;
    if (fields !== undefined) payload.fields = plain(fields);
    let frame;
    try {
      frame = this.codec.encode(LOG, payload);
    } catch (err) {
      frame = this.codec.encode(LOG, {
        ...payload,
        fields: { unsendable: describe(err) },
      });
    }
    this.conn.send(frame);
  }
}

function complain(message) {
  process.stderr.write(`ferrite node wrapper: ${message}\n`);
}

module.exports = {
  Worker,
  complain,
  describe,
  handlerFile,
  loadHandler,
};
