"use strict";
/**
 * ferrite's Node.js wrapper: runs one worker of a function with a nuclio-style handler.
 *
 * The processor starts it as `node wrappers/node/wrapper.js` in the function directory,
 * with the `FERRITE_*` variables of `schemas/PROTOCOL.md` set. The SDK is required by its
 * place in ferrite's home, relative to this file (`../../sdk-node`), so it resolves its
 * own dependencies from `sdk-node/node_modules` and nothing is added to the handler's
 * module paths. The work (connect, hello, load handler, init, ready, loop) is in
 * `sdk-node/src/worker.js`, where it is tested.
 */

const { main } = require("../../sdk-node/src/worker.js");

main().then(
  (status) => process.exit(status),
  (err) => {
    process.stderr.write(`ferrite node wrapper: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
