"use strict";
// A stand-in for the ferrite processor: listens like it does, accepts one wrapper, and
// lets a test send frames and wait for the wrapper's. For shm it creates the segment with
// the addon and speaks through the same RingStream as the wrapper, from the other end.

const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");

const { codecFor } = require("../src/codec");
const { RingStream } = require("../src/transport/shm");
const { KIND_CODES, KIND_NAMES } = require("../src/protocol");

class FakeProcessor {
  constructor(server, codecName, transport, address, dir, ring) {
    this.server = server;
    this.codecName = codecName;
    this.codec = codecFor(codecName);
    this.transport = transport;
    this.address = address;
    this.dir = dir;
    this.ring = ring;
    this.socket = undefined;
    this.messages = [];
    this.waiters = [];
    this.ended = false;
    this.connected = new Promise((resolve) => {
      server.once("connection", (connection) => {
        const socket = ring
          ? new RingStream(ring.endpoint, connection, ring.spinMicros)
          : connection;
        this.socket = socket;
        socket.on("data", (chunk) => {
          for (const message of this.codec.decode(chunk)) {
            this.messages.push(message);
          }
          this.wake();
        });
        socket.on("end", () => {
          this.ended = true;
          this.wake();
        });
        socket.on("error", () => {});
        resolve(socket);
      });
    });
  }

  static async start({
    codec = "msgpack",
    transport = "unix",
    spinMicros = 0,
  } = {}) {
    const server = net.createServer();
    let address;
    let dir;
    let ring;
    if (transport === "unix" || transport === "shm") {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferrite-node-test-"));
      address = path.join(dir, "worker-0.sock");
      await new Promise((resolve) => server.listen(address, resolve));
      if (transport === "shm") {
        // Required here: the other transports' tests run without the addon.
        const { Endpoint } = require("../native");
        const segment = path.join(dir, "worker-0.ring");
        // Small enough that the large bodies of the tests wrap it many times.
        ring = {
          path: segment,
          endpoint: Endpoint.create(segment, 64 * 1024),
          spinMicros,
        };
      }
    } else if (transport === "tcp") {
      await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
      address = `127.0.0.1:${server.address().port}`;
    } else {
      throw new Error(`the fake processor has no ${transport} transport`);
    }
    return new FakeProcessor(server, codec, transport, address, dir, ring);
  }

  /** The wrapper's environment for `functionDir` and `handler`. */
  env(functionDir, handler, extra = {}) {
    return {
      FERRITE_PROTOCOL: "1",
      FERRITE_TRANSPORT: this.transport,
      FERRITE_ADDRESS: this.address,
      FERRITE_CODEC: this.codecName,
      FERRITE_TOKEN: "t0ken",
      FERRITE_HANDLER: handler,
      FERRITE_FUNCTION_DIR: functionDir,
      FERRITE_FUNCTION_NAME: "test-function",
      FERRITE_WORKER_ID: "3",
      FERRITE_LOG_LEVEL: "debug",
      ...(this.ring
        ? {
            FERRITE_SHM_PATH: this.ring.path,
            FERRITE_SPIN_MICROS: String(this.ring.spinMicros),
          }
        : {}),
      ...extra,
    };
  }

  wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** The next message from the wrapper, as `{ kind: name, ...payload }`; `undefined` at
   * the end of the stream. */
  async next(timeoutMs = 5000) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (this.messages.length > 0) {
        const [kind, payload] = this.messages.shift();
        return { kind: KIND_NAMES[kind], ...payload };
      }
      if (this.ended) return undefined;
      const left = until - Date.now();
      if (left <= 0) throw new Error("no message from the wrapper in time");
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next message that is not a log (logs are collected in `logs`). */
  async nextNonLog(logs = [], timeoutMs = 5000) {
    for (;;) {
      const message = await this.next(timeoutMs);
      if (message?.kind !== "log") return message;
      logs.push(message);
    }
  }

  /** Reads up to `ready` (after hello and any logs); returns `{ hello, logs }`. */
  async handshake() {
    await this.connected;
    const hello = await this.next();
    if (hello.kind !== "hello")
      throw new Error(`expected hello, got ${hello.kind}`);
    const logs = [];
    const ready = await this.nextNonLog(logs);
    if (ready.kind !== "ready") {
      throw new Error(`expected ready, got ${JSON.stringify(ready)}`);
    }
    return { hello, logs };
  }

  send(kindName, payload = {}) {
    this.socket.write(this.codec.encode(KIND_CODES.get(kindName), payload));
  }

  /** Sends an event with sensible defaults. */
  event(id, fields = {}) {
    this.send("event", {
      id,
      trigger: { kind: "http", name: "web" },
      method: "GET",
      path: "/",
      url: fields.path ?? "/",
      query: {},
      headers: {},
      content_type: "",
      body: Buffer.alloc(0),
      timestamp: Date.now(),
      deadline: 0,
      ...fields,
    });
  }

  /** Collects responses (by id) until `count` have come; logs go to `logs`. */
  async responses(count, logs = [], timeoutMs = 5000) {
    const byId = new Map();
    while (byId.size < count) {
      const message = await this.nextNonLog(logs, timeoutMs);
      if (message === undefined)
        throw new Error("the wrapper closed the stream");
      if (message.kind !== "response") {
        throw new Error(`expected a response, got ${JSON.stringify(message)}`);
      }
      byId.set(message.id, message);
    }
    return byId;
  }

  async close() {
    this.socket?.destroy();
    // Never connected: the segment is still only ours.
    if (this.socket === undefined) this.ring?.endpoint.close();
    await new Promise((resolve) => this.server.close(resolve));
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

module.exports = { FakeProcessor };
