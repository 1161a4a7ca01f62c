// The conformance function for the Node.js runtime: one handler, one route per case.
//
// Written as a nuclio user would write it (no ferrite require), so the suite also proves
// that nuclio handlers run unmodified: some routes answer through context.callback,
// nuclio's way, others by returning a value or a promise.

const { setTimeout: sleep } = require("node:timers/promises");

exports.initContext = (context) => {
  context.userData.initCalls = (context.userData.initCalls ?? 0) + 1;
  context.userData.events = 0;
};

const routes = {
  "/return-text": () => "hello, world",

  "/return-bytes": () => Buffer.from([0x00, 0x01, 0xfe, 0xff]),

  "/return-json": () => ({
    name: "ferrite",
    count: 3,
    nested: { ok: true },
    list: [1, "two"],
  }),

  "/return-response": (context) => {
    context.callback(
      new context.Response(
        "created",
        { "X-Ferrite-Case": "return-response" },
        "text/x-ferrite",
        201,
      ),
    );
  },

  "/return-status-pair": () => [202, "accepted"],

  "/return-nothing": (context) => {
    context.callback();
  },

  "/echo": (context, event) =>
    new context.Response(event.body, {}, "application/octet-stream"),

  "/metadata": (context, event) => ({
    method: event.method,
    path: event.path,
    url: event.url,
    query: event.fields,
    custom_header: event.headers["x-CUSTOM-header"],
    content_type: event.contentType,
    trigger_kind: event.trigger.kind,
    body: event.body.toString(),
    has_id: Boolean(event.id),
  }),

  "/json-body": (context, event) => {
    const { a, tags } = event.json;
    return { a_plus_one: a + 1, tags };
  },

  "/non-ascii": (context, event) =>
    `héllo wörld ✓ 日本 | ${event.body.toString("utf8")}`,

  "/raise": () => {
    throw new Error("conformance boom");
  },

  "/log": (context) => {
    context.logger.debug("conformance-debug");
    context.logger.info("conformance-info");
    context.logger.warn("conformance-warn");
    context.logger.error("conformance-error");
    context.logger.infoWith("conformance-structured", {
      answer: 42,
      who: "nodejs",
    });
    context.callback("logged");
  },

  "/env": (context, event) => process.env[event.fields.name] ?? "",

  "/state": (context) => ({
    worker: context.workerId,
    init_calls: context.userData.initCalls,
    events: context.userData.events,
  }),

  "/noise": () => {
    console.log(
      'conformance-stdout-noise \x00\x00\x00\x05 {"kind":"response"}',
    );
    console.error("conformance-stderr-noise");
    return "quiet";
  },

  "/exit": () => {
    process.exit(3);
  },

  "/sleep": async (context, event) => {
    const seconds = Number(event.fields.seconds);
    await sleep(seconds * 1000);
    return { worker: context.workerId, slept: seconds };
  },
};

exports.handler = (context, event) => {
  context.userData.events += 1;
  const route = routes[event.path];
  if (route === undefined) {
    return new context.Response(`no case at ${event.path}`, {}, null, 404);
  }
  return route(context, event);
};
