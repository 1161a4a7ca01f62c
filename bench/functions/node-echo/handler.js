// The benchmark's Node.js echo handler: 200 with the request body, byte for byte.
// Served by `ferrite run bench/functions/node-echo`. `event.body` is always a Buffer,
// which the SDK answers as application/octet-stream, unchanged.
exports.handler = (context, event) => {
  context.callback(event.body);
};
