"use strict";

const { connectSocket } = require("./socket");

/** TCP, on loopback as the processor binds it; `FERRITE_ADDRESS` is `HOST:PORT`
 * (`[::1]:PORT` for IPv6). */
const TcpTransport = {
  name: "tcp",

  connect(address) {
    const colon = address.lastIndexOf(":");
    const port = Number(address.slice(colon + 1));
    if (colon < 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
      return Promise.reject(
        new Error(`tcp address ${JSON.stringify(address)} is not HOST:PORT`),
      );
    }
    const host = address.slice(0, colon).replace(/^\[|\]$/g, "");
    // Frames are written whole; waiting to coalesce them only adds latency.
    return connectSocket({ host, port, noDelay: true });
  },
};

module.exports = { TcpTransport };
