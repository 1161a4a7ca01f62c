// A first ferrite function in Node.js: greets whoever asks, and answers JSON when sent JSON.

const { setTimeout: sleep } = require("node:timers/promises");

// Runs once per worker, before its first event: the place for connections and caches.
exports.initContext = (context) => {
  context.userData.greeting = process.env.GREETING ?? "Hello";
  context.logger.infoWith("worker initialised", { worker: context.workerId });
};

// One worker runs many events at once: while this one waits, others run.
exports.handler = async (context, event) => {
  if (event.isJson) {
    const { name = "world" } = event.json;
    return { greeting: `${context.userData.greeting}, ${name}!` };
  }
  const name = event.fields.name ?? "world";
  context.logger.debugWith("greeting", { name });
  await sleep(Number(event.fields.delay ?? 0));
  return `${context.userData.greeting}, ${name}!\n`;
};
