"use strict";
// The worker against a fake processor over real sockets, in-process: the handshake, every
// way a handler answers (or fails to), concurrency, ordering and shutdown.

const assert = require("node:assert/strict");
const path = require("node:path");
const { describe, it } = require("node:test");

const { main } = require("../wrapper");
const { CODECS } = require("../src/codec");
const { TRANSPORTS } = require("../src/transport");
const { describe: describeError } = require("../src/worker");
const { FakeProcessor } = require("./fake-processor");

const FIXTURES = path.join(__dirname, "fixtures");
const ROUTES = path.join(FIXTURES, "routes");

/** Starts a fake processor and a worker connected to it; returns both. */
async function start({
  codec,
  transport,
  dir = ROUTES,
  handler = "handler:handler",
  env = {},
} = {}) {
  const processor = await FakeProcessor.start({ codec, transport });
  const status = main(processor.env(dir, handler, env));
  return { processor, status };
}

async function stop({ processor, status }) {
  processor.send("shutdown");
  const code = await status;
  await processor.close();
  return code;
}

for (const codec of Object.keys(CODECS)) {
  for (const transport of Object.keys(TRANSPORTS)) {
    describe(`worker over ${codec}/${transport}`, () => {
      it("says hello, runs initContext, says ready, and answers events", async () => {
        const worker = await start({ codec, transport });
        const { processor } = worker;
        const { hello, logs } = await processor.handshake();
        assert.equal(hello.protocol, 1);
        assert.equal(hello.token, "t0ken");
        assert.equal(hello.runtime, "nodejs");
        assert.equal(hello.runtime_version, process.versions.node);
        assert.equal(hello.pid, process.pid);
        assert.equal(hello.concurrency, 64);
        assert.deepEqual(
          logs.map((log) => [log.level, log.message, log.id]),
          [["info", "init ran", undefined]],
        );

        const big = 2 ** 40 + 7;
        processor.event(big, { path: "/return-text" });
        const [response] = (await processor.responses(1)).values();
        assert.equal(response.id, big);
        assert.equal(response.status, 200);
        assert.equal(response.content_type, "text/plain; charset=utf-8");
        assert.equal(Buffer.from(response.body).toString(), "hello");
        assert.equal(response.error, undefined);
        assert.equal(await stop(worker), 0);
      });

      it("echoes bodies byte for byte, up to 8 MiB", async () => {
        const worker = await start({ codec, transport });
        const { processor } = worker;
        await processor.handshake();
        const sizes = [0, 1, 65536, 8 * 1024 * 1024];
        const bodies = sizes.map((size) => {
          const body = Buffer.alloc(size);
          for (let i = 0; i < size; i++) body[i] = (i * 7919 + size) & 0xff;
          return body;
        });
        bodies.forEach((body, index) =>
          processor.event(index + 1, { path: "/echo", body }),
        );
        const responses = await processor.responses(bodies.length);
        bodies.forEach((body, index) => {
          const response = responses.get(index + 1);
          assert.equal(response.status, 200);
          assert.ok(
            Buffer.from(response.body).equals(body),
            `body of ${sizes[index]} bytes`,
          );
        });
        assert.equal(await stop(worker), 0);
      });
    });
  }
}

describe("answers", () => {
  const cases = [
    ["/return-null", 200, "", ""],
    ["/callback", 200, "text/plain; charset=utf-8", "called back"],
    ["/callback-later", 200, "text/plain; charset=utf-8", "later"],
    ["/callback-unbound", 200, "text/plain; charset=utf-8", "unbound"],
    ["/callback-twice", 200, "text/plain; charset=utf-8", "first"],
    ["/async", 200, "application/json", '{"ok":true}'],
    ["/async-nothing", 200, "", ""],
    ["/async-callback", 200, "text/plain; charset=utf-8", "from callback"],
    ["/nowhere", 404, "text/plain; charset=utf-8", "no route /nowhere"],
  ];
  for (const [route, status, contentType, body] of cases) {
    it(`${route}: ${status} ${JSON.stringify(body)}`, async () => {
      const worker = await start();
      const { processor } = worker;
      await processor.handshake();
      processor.event(1, { path: route });
      processor.event(2, { path: "/return-text" });
      const responses = await processor.responses(2);
      const response = responses.get(1);
      assert.equal(response.status, status);
      assert.equal(response.content_type, contentType);
      assert.equal(Buffer.from(response.body).toString(), body);
      assert.equal(responses.get(2).status, 200);
      assert.equal(await stop(worker), 0);
      // A second answer (callback twice) is dropped, not sent.
      assert.equal(processor.messages.length, 0);
    });
  }

  const failures = [
    ["/throw", "RangeError: boom second line"],
    ["/throw-string", "some error"],
    ["/reject", "TypeError: rejected"],
    ["/callback-error", "Error: called back with an error"],
    ["/bad-status", "RangeError: status code 42 is outside 100-999"],
  ];
  for (const [route, message] of failures) {
    it(`${route}: 500 "${message}", and the worker goes on`, async () => {
      const worker = await start();
      const { processor } = worker;
      await processor.handshake();
      processor.event(7, { path: route });
      const logs = [];
      const [response] = (await processor.responses(1, logs)).values();
      assert.equal(response.id, 7);
      assert.equal(response.status, 500);
      assert.equal(response.error, message);
      assert.equal(Buffer.from(response.body).toString(), message);
      const raised = logs.find((log) => log.level === "error");
      assert.equal(raised.id, 7);
      assert.equal(raised.message, `handler raised ${message}`);
      assert.equal(typeof raised.fields.stack, "string");

      processor.event(8, { path: "/return-text" });
      const [next] = (await processor.responses(1)).values();
      assert.equal(next.status, 200);
      assert.equal(await stop(worker), 0);
    });
  }
});

describe("events and logs", () => {
  for (const codec of Object.keys(CODECS)) {
    it(`hands the handler the event's fields, and the context its identity (${codec})`, async () => {
      const worker = await start({ codec });
      const { processor } = worker;
      await processor.handshake();
      const timestamp = 1_700_000_000_123;
      processor.event(5, {
        method: "PUT",
        path: "/event",
        url: "/event?x=1",
        query: { x: "1" },
        headers: { "x-custom": "Abc", "content-type": "application/json" },
        content_type: "application/json",
        body: Buffer.from('{"a": [1, 2]}'),
        timestamp,
      });
      const [response] = (await processor.responses(1)).values();
      assert.deepEqual(JSON.parse(Buffer.from(response.body)), {
        id: 5,
        method: "PUT",
        path: "/event",
        url: "/event?x=1",
        fields: { x: "1" },
        header: "Abc",
        viaGet: "Abc",
        contentType: "application/json",
        nuclioContentType: "application/json",
        json: { a: [1, 2] },
        trigger: { kind: "http", name: "web" },
        contextTrigger: { kind: "http", name: "web" },
        timestamp,
        workerId: 3,
        functionName: "test-function",
        inits: JSON.parse(Buffer.from(response.body)).inits,
      });
      assert.equal(await stop(worker), 0);
    });
  }

  for (const codec of Object.keys(CODECS)) {
    it(`takes a __proto__ query name or header as any other (${codec})`, async () => {
      const worker = await start({ codec });
      const { processor } = worker;
      await processor.handshake();
      processor.event(6, {
        path: "/event",
        query: JSON.parse('{"__proto__": "q"}'),
        headers: JSON.parse('{"__proto__": "h", "x-custom": "c"}'),
      });
      const [response] = (await processor.responses(1)).values();
      assert.equal(response.status, 200);
      const body = JSON.parse(Buffer.from(response.body));
      assert.deepEqual(Object.entries(body.fields), [["__proto__", "q"]]);
      assert.equal(body.header, "c");
      assert.equal(await stop(worker), 0);
    });
  }

  for (const codec of Object.keys(CODECS)) {
    it(`sends logs at once, tagged with the event, fields as plain JSON (${codec})`, async () => {
      const worker = await start({ codec, env: { FERRITE_LOG_LEVEL: "info" } });
      const { processor } = worker;
      await processor.handshake();
      processor.event(9, { path: "/log" });
      const logs = [];
      await processor.responses(1, logs);
      assert.deepEqual(logs, [
        {
          kind: "log",
          id: 9,
          level: "info",
          message: "structured",
          fields: { answer: 42, when: "1970-01-01T00:00:00.000Z" },
        },
        { kind: "log", id: 9, level: "warn", message: "count: 3" },
        {
          kind: "log",
          id: 9,
          level: "error",
          message: "pairs",
          fields: { a: 1, b: ["NaN"] },
        },
      ]);
      assert.equal(await stop(worker), 0);
    });
  }
});

describe("concurrency", () => {
  it("runs many events at once and answers each when it is done", async () => {
    const worker = await start();
    const { processor } = worker;
    await processor.handshake();
    const started = Date.now();
    for (let id = 1; id <= 50; id++) {
      processor.event(id, { path: "/sleep", query: { ms: "200" } });
    }
    processor.event(51, { path: "/return-text" });
    const first = await processor.nextNonLog();
    assert.equal(
      first.id,
      51,
      "the quick event is answered before the slow ones",
    );
    const responses = await processor.responses(50);
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
    for (const response of responses.values())
      assert.equal(response.status, 200);
    assert.equal(await stop(worker), 0);
  });

  it("leaves an event that never answers unanswered, and answers the rest", async () => {
    const worker = await start();
    const { processor } = worker;
    await processor.handshake();
    processor.event(1, { path: "/never" });
    processor.event(2, { path: "/return-text" });
    processor.event(3, { path: "/callback-later" });
    const responses = await processor.responses(2);
    assert.deepEqual([...responses.keys()].sort(), [2, 3]);
    await assert.rejects(processor.next(300), /no message/);
    // The processor would kill it after eventTimeout; here a broken frame ends it.
    processor.socket.write(Buffer.from([0, 0, 0, 0]));
    assert.equal(await worker.status, 1);
    await processor.close();
  });

  it("with concurrency 1, runs events one at a time in the order they came", async () => {
    const worker = await start({ env: { FERRITE_CONCURRENCY: "1" } });
    const { processor } = worker;
    const { hello } = await processor.handshake();
    assert.equal(hello.concurrency, 1);
    processor.event(1, { path: "/sleep", query: { ms: "60" } });
    processor.event(2, { path: "/return-text" });
    processor.event(3, { path: "/sleep", query: { ms: "10" } });
    processor.send("ping", { nonce: 77 });
    processor.event(4, { path: "/callback" });
    const order = [];
    for (let i = 0; i < 5; i++) {
      const message = await processor.nextNonLog();
      order.push(
        message.kind === "pong" ? `pong ${message.nonce}` : message.id,
      );
    }
    assert.deepEqual(order, [1, 2, 3, "pong 77", 4]);
    assert.equal(await stop(worker), 0);
  });
});

describe("shutdown and the end of the stream", () => {
  it("answers the events in hand after shutdown, then closes and exits 0", async () => {
    const worker = await start();
    const { processor } = worker;
    await processor.handshake();
    processor.event(1, { path: "/sleep", query: { ms: "100" } });
    processor.send("shutdown");
    const [response] = (await processor.responses(1)).values();
    assert.equal(Buffer.from(response.body).toString(), "slept 100");
    assert.equal(await processor.next(), undefined);
    assert.equal(await worker.status, 0);
    await processor.close();
  });

  it("with concurrency 1, answers every event read before shutdown", async () => {
    const worker = await start({ env: { FERRITE_CONCURRENCY: "1" } });
    const { processor } = worker;
    await processor.handshake();
    processor.event(1, { path: "/sleep", query: { ms: "30" } });
    processor.event(2, { path: "/return-text" });
    processor.send("shutdown");
    const responses = await processor.responses(2);
    assert.deepEqual([...responses.keys()], [1, 2]);
    assert.equal(await worker.status, 0);
    await processor.close();
  });

  it("exits 0 when the processor closes the connection", async () => {
    const worker = await start();
    const { processor } = worker;
    await processor.handshake();
    processor.socket.end();
    assert.equal(await worker.status, 0);
    await processor.close();
  });

  it("exits 0 when the processor went away while initContext ran", async () => {
    const worker = await start({ dir: path.join(FIXTURES, "slow-init") });
    const { processor } = worker;
    await processor.connected;
    assert.equal((await processor.next()).kind, "hello");
    processor.socket.end();
    assert.equal(await worker.status, 0);
    await processor.close();
  });

  it("exits 1 on a frame it cannot read", async () => {
    const worker = await start();
    const { processor } = worker;
    await processor.handshake();
    processor.socket.write(Buffer.from([0, 0, 0, 1, 99]));
    assert.equal(await worker.status, 1);
    await processor.close();
  });

  it("exits 1 on an event without an id", async () => {
    const worker = await start({ codec: "json" });
    const { processor } = worker;
    await processor.handshake();
    processor.send("event", { path: "/return-text" });
    assert.equal(await worker.status, 1);
    await processor.close();
  });

  it("exits 1 on a message that must not reach a wrapper", async () => {
    const worker = await start({ codec: "json" });
    const { processor } = worker;
    await processor.handshake();
    processor.send("response", { id: 1, status: 200 });
    assert.equal(await worker.status, 1);
    await processor.close();
  });
});

describe("loading handlers", () => {
  const loads = [
    [
      "an ES module (.mjs) with an async initContext",
      "esm",
      "handler:handler",
      "hello from esm",
    ],
    [
      "CommonJS (.cjs) exporting an object, nested export",
      "cjs-object",
      "main:handlers.main",
      "cjs GET",
    ],
    [
      "a .js ES module under type: module",
      "module-type",
      "handler.js:handler",
      "module-type",
    ],
  ];
  for (const [what, dir, handler, body] of loads) {
    it(`loads ${what}`, async () => {
      const worker = await start({ dir: path.join(FIXTURES, dir), handler });
      const { processor } = worker;
      await processor.handshake();
      processor.event(1);
      const [response] = (await processor.responses(1)).values();
      assert.equal(Buffer.from(response.body).toString(), body);
      assert.equal(await stop(worker), 0);
    });
  }

  const failures = [
    [
      "a missing file",
      "routes",
      "nothing:handler",
      /^Error: handler file not found: none of nothing\.js, nothing\.mjs, nothing\.cjs in /,
    ],
    [
      "a missing export",
      "routes",
      "handler:nope",
      /^TypeError: handler "nope" in handler\.js is not exported$/,
    ],
    [
      "an export that is not a function",
      "not-a-function",
      "handler:handler",
      /^TypeError: handler "handler" in handler\.js is a string, not a function$/,
    ],
    [
      "a module that throws while loading",
      "throws-on-load",
      "handler:handler",
      /^Error: Cannot find module 'a-module-that-is-not-installed-anywhere'/,
    ],
    [
      "a syntax error",
      "syntax-error",
      "handler:handler",
      /^SyntaxError: Unexpected token '}' \(.*handler\.js:3\)$/,
    ],
    [
      "an initContext that rejects",
      "init-fails",
      "handler:handler",
      /^Error: database unreachable$/,
    ],
    [
      "a handler without a colon",
      "routes",
      "handler",
      /is not of the form file:export/,
    ],
  ];
  for (const [what, dir, handler, message] of failures) {
    it(`sends init_error for ${what} and exits 1`, async () => {
      const worker = await start({ dir: path.join(FIXTURES, dir), handler });
      const { processor } = worker;
      await processor.connected;
      assert.equal((await processor.next()).kind, "hello");
      const error = await processor.nextNonLog();
      assert.equal(error.kind, "init_error");
      assert.match(error.message, message);
      assert.ok(!error.message.includes("\n"));
      assert.equal(typeof error.detail, "string");
      assert.equal(await worker.status, 1);
      await processor.close();
    });
  }
});

it("describes thrown values in one line", () => {
  class QuotaError extends Error {}
  assert.equal(describeError(new QuotaError("over")), "QuotaError: over");
  assert.equal(describeError("plain text"), "plain text");
  assert.equal(describeError(new Error("a\r\nb")), "Error: a b");
  assert.equal(describeError(undefined), "undefined");
  assert.equal(
    describeError(Object.create(null)),
    "<the thrown value cannot be shown as text>",
  );
});
