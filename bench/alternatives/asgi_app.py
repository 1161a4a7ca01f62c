"""A plain ASGI echo app, no framework, served by uvicorn with uvloop and httptools.

Run (from the repo root, with the virtualenv bench/install makes):
    .ferrite-cache/bench-venv/bin/uvicorn --app-dir bench/alternatives --host 127.0.0.1 \
        --port PORT --workers W --no-access-log --log-level warning asgi_app:app

GET / answers 200 with an empty body; POST / answers 200 with the request body, byte for
byte. Any other path is 404, any other method 405.
"""


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    if scope["type"] != "http":
        return

    # The body may come in several messages; join them.
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)

    if scope["path"] != "/":
        status, body = 404, b""
    elif scope["method"] == "POST":
        status = 200
    elif scope["method"] == "GET":
        status, body = 200, b""
    else:
        status, body = 405, b""

    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-length", str(len(body)).encode()),
                (b"content-type", b"application/octet-stream"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def lifespan(receive, send):
    """Nothing to set up or tear down; answering the protocol keeps uvicorn from warning."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
