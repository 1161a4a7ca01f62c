exports.handler = (context, event) => {
  context.callback("");
};
