"""A first ferrite function: greets whoever asks, and answers JSON when sent JSON."""

import os


def init_context(context):
    # Runs once per worker, before its first event: the place for connections and caches.
    context.user_data.greeting = os.environ.get("GREETING", "Hello")
    context.logger.info_with("worker initialised", worker=context.worker_id)


def handler(context, event):
    if event.content_type.startswith("application/json"):
        name = event.body.get("name", "world")
        return {"greeting": f"{context.user_data.greeting}, {name}!"}
    name = event.fields.get("name", "world")
    context.logger.debug_with("greeting", name=name)
    return f"{context.user_data.greeting}, {name}!\n"
