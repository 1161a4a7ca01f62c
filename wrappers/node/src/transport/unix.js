"use strict";

const { connectSocket } = require("./socket");

/** A unix domain socket; `FERRITE_ADDRESS` is its path. */
const UnixTransport = {
  name: "unix",

  connect(address) {
    return connectSocket({ path: address });
  },
};

module.exports = { UnixTransport };
