"use strict";

const net = require("node:net");

/** A `net` socket opened with `options`, once it is connected; both transports are
 * one, told apart by their options. */
function connectSocket(options) {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(options);
    const failed = (err) => reject(err);
    socket.once("error", failed);
    socket.once("connect", () => {
      socket.off("error", failed);
      resolve(socket);
    });
  });
}

module.exports = { connectSocket };
