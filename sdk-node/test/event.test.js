"use strict";

const assert = require("node:assert/strict");
const { it } = require("node:test");

const { Event } = require("../src/event");

const wire = {
  id: 12,
  trigger: { kind: "http", name: "web" },
  method: "POST",
  path: "/a",
  url: "/a?x=1",
  query: { x: "1" },
  headers: {
    "content-type": "application/json; charset=utf-8",
    "x-custom": "v",
  },
  content_type: "application/json; charset=utf-8",
  body: new Uint8Array(Buffer.from('{"k": 1}')),
  timestamp: 1000,
  deadline: 0,
};

it("reads an event message, body as a Buffer", () => {
  const event = Event.fromWire(wire);
  assert.equal(event.id, 12);
  assert.equal(event.method, "POST");
  assert.deepEqual(event.fields, { x: "1" });
  assert.ok(Buffer.isBuffer(event.body));
  assert.deepEqual(JSON.parse(event.body), { k: 1 });
  assert.deepEqual(event.json, { k: 1 });
  assert.ok(event.isJson);
  assert.equal(event.size, 8);
  assert.equal(event.timestamp.getTime(), 1000);
  assert.equal(event.deadline, null);
  assert.equal(event.trigger.kind, "http");
});

it("looks headers up in any case", () => {
  const event = Event.fromWire(wire);
  assert.equal(event.headers["X-Custom"], "v");
  assert.equal(event.headers["x-custom"], "v");
  assert.ok("Content-Type" in event.headers);
  assert.equal(event.getHeader("X-CUSTOM"), "v");
  assert.equal(event.getHeader("absent", "d"), "d");
  assert.deepEqual(Object.keys(event.headers), ["content-type", "x-custom"]);
  assert.deepEqual({ ...event.headers }, wire.headers);
  assert.equal(event.content_type, event.contentType);
  assert.equal(event["content-type"], event.contentType);
});

it("reads missing and nil optional fields as empty", () => {
  const event = Event.fromWire({
    id: 1,
    headers: null,
    query: null,
    body: null,
  });
  assert.deepEqual(event.fields, {});
  assert.equal(event.headers.anything, undefined);
  assert.equal(event.body.length, 0);
  assert.equal(event.json, undefined);
  assert.equal(event.path, "");
  assert.deepEqual(event.trigger, { kind: "", name: "" });
});

it("builds events for a handler's own tests", () => {
  const event = new Event({ body: "hi", headers: { "X-A": "b" }, path: "/p" });
  assert.equal(event.body.toString(), "hi");
  assert.equal(event.headers["x-a"], "b");
  assert.equal(event.url, "/p");
  assert.equal(event.method, "GET");
});
