"use strict";
// How handler results become responses: nuclio's Node.js rules.

const assert = require("node:assert/strict");
const { it } = require("node:test");

const { Response, toWire } = require("../src/response");

const TEXT = "text/plain; charset=utf-8";

function wire(result) {
  const [status, headers, contentType, body] = toWire(result);
  return [status, headers, contentType, body.toString("latin1")];
}

for (const [what, result, expected] of [
  ["text", "héllo", [200, {}, TEXT, Buffer.from("héllo").toString("latin1")]],
  [
    "a Buffer",
    Buffer.from([0, 255]),
    [200, {}, "application/octet-stream", "\x00\xff"],
  ],
  [
    "a Uint8Array",
    new Uint8Array([1, 2]),
    [200, {}, "application/octet-stream", "\x01\x02"],
  ],
  [
    "an ArrayBuffer",
    new Uint8Array([3]).buffer,
    [200, {}, "application/octet-stream", "\x03"],
  ],
  [
    "an object",
    { a: [1, "two"] },
    [200, {}, "application/json", '{"a":[1,"two"]}'],
  ],
  ["an array", [1, 2, 3], [200, {}, "application/json", "[1,2,3]"]],
  ["a number", 42, [200, {}, "application/json", "42"]],
  ["a boolean", false, [200, {}, "application/json", "false"]],
  ["undefined", undefined, [200, {}, "", ""]],
  ["null", null, [200, {}, "", ""]],
  ["a [status, text] pair", [202, "accepted"], [202, {}, TEXT, "accepted"]],
  [
    "a [status, object] pair",
    [400, { error: "x" }],
    [400, {}, "application/json", '{"error":"x"}'],
  ],
  [
    "a Response",
    new Response("created", { "X-A": 1 }, "text/x-a", 201),
    [201, { "X-A": "1" }, "text/x-a", "created"],
  ],
  [
    "a Response with a JSON body",
    new Response({ a: 1 }),
    [200, {}, "application/json", '{"a":1}'],
  ],
  [
    "a Response typed by header",
    new Response("x", { "Content-Type": "text/csv" }),
    [200, {}, "text/csv", "x"],
  ],
  [
    "a Response of bytes",
    new Response(Buffer.from("b")),
    [200, {}, "application/octet-stream", "b"],
  ],
  [
    "a Response with repeated headers",
    new Response(null, { Vary: ["a", "b"] }, null, 204),
    [204, { Vary: "a, b" }, "", ""],
  ],
]) {
  it(`answers ${what}`, () => {
    assert.deepEqual(wire(result), expected);
  });
}

it("keeps nuclio's field names on Response", () => {
  const response = new Response("x", null, "text/plain", 418);
  assert.equal(response.status_code, 418);
  assert.equal(response.content_type, "text/plain");
  response.status_code = 419;
  assert.equal(response.statusCode, 419);
  assert.deepEqual(response.headers, {});
});

for (const [what, result, error] of [
  [
    "a status that is not an integer",
    new Response("x", {}, null, "200"),
    /status code must be an integer/,
  ],
  ["a status out of range", [1000, "x"], /outside 100-999/],
  ["a function", () => 1, /cannot be sent/],
  ["a BigInt", { n: 1n }, /BigInt/],
]) {
  it(`refuses ${what}`, () => {
    assert.throws(() => toWire(result), error);
  });
}
