// A Node.js echo server on the `http` module alone: what a Node.js user writes without a framework.
//
// Run: node bench/alternatives/node_http.js PORT
//
// Listens on 127.0.0.1:PORT. GET / answers 200 with an empty body; POST / answers 200 with
// the request body, byte for byte. Node keeps HTTP/1.1 connections alive by default.
"use strict";

const http = require("http");

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error("usage: node node_http.js PORT");
  process.exit(2);
}

const EMPTY = Buffer.alloc(0);

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const path = req.url.split("?", 1)[0];
    let status = 200;
    let body = EMPTY;
    if (path !== "/") {
      status = 404;
    } else if (req.method === "POST") {
      body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    } else if (req.method !== "GET") {
      status = 405;
    }
    res.writeHead(status, {
      "Content-Length": body.length,
      "Content-Type": "application/octet-stream",
    });
    res.end(body);
  });
});

server.listen(port, "127.0.0.1");

// SIGTERM stops at once, as for the other servers.
process.on("SIGTERM", () => process.exit(0));
