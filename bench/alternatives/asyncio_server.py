"""A plain asyncio HTTP/1.1 echo server, stdlib only: Python without a framework.

Run: python3 bench/alternatives/asyncio_server.py PORT

Listens on 127.0.0.1:PORT. GET / answers 200 with an empty body; POST / answers 200
with the request body, byte for byte. Connections are kept alive (HTTP/1.1's default,
HTTP/1.0 with `Connection: keep-alive`), and requests sent back to back on one connection
(pipelining) are answered in order. The parsing is the least that is correct for these
requests: the request line, the headers, and a body of `Content-Length` bytes; a chunked
body is refused with 501. Nothing is logged per request.
"""

import asyncio
import signal
import sys

# The longest request head (request line plus headers) accepted.
HEAD_LIMIT = 64 * 1024

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def response(status, body=b"", close=False):
    """The bytes of a whole response: status line, headers, body."""
    head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n"
    if body:
        head += "Content-Type: application/octet-stream\r\n"
    if close:
        head += "Connection: close\r\n"
    return head.encode("latin-1") + b"\r\n" + body


# The empty answer to GET never changes, so it is built once.
EMPTY_OK = response("200 OK")


async def serve(reader, writer):
    """Answers the requests of one connection until the client closes it or asks to."""
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return  # the client closed the connection between requests
            except asyncio.LimitOverrunError:
                writer.write(response("431 Request Header Fields Too Large", close=True))
                return

            lines = head[:-4].split(b"\r\n")
            request_line = lines[0].split(b" ")
            if len(request_line) != 3:
                writer.write(response("400 Bad Request", close=True))
                return
            method, target, version = request_line

            # Only the headers that decide how to read the body and whether to keep the
            # connection matter here; names are case-insensitive.
            length = 0
            connection = b""
            expect = b""
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection":
                    connection = value.strip().lower()
                elif name == b"expect":
                    expect = value.strip().lower()
                elif name == b"transfer-encoding":
                    writer.write(response("501 Not Implemented", close=True))
                    return

            if version == b"HTTP/1.1":
                keep_alive = connection != b"close"
            else:
                keep_alive = connection == b"keep-alive"

            if length:
                if expect == b"100-continue":
                    writer.write(CONTINUE)
                body = await reader.readexactly(length)
            else:
                body = b""

            path = target.partition(b"?")[0]
            if path != b"/":
                answer = response("404 Not Found", close=not keep_alive)
            elif method == b"POST":
                answer = response("200 OK", body, close=not keep_alive)
            elif method == b"GET":
                answer = EMPTY_OK if keep_alive else response("200 OK", close=True)
            else:
                answer = response("405 Method Not Allowed", close=not keep_alive)
            writer.write(answer)
            if not keep_alive:
                return
            # Returns at once unless the client is slow to read; then it waits, so a
            # client that pipelines without reading cannot make the buffer grow forever.
            await writer.drain()
    except (asyncio.IncompleteReadError, ValueError, ConnectionError):
        pass  # a body cut short, a bad Content-Length, or a reset: drop the connection
    except asyncio.CancelledError:
        pass  # the server is stopping; ending quietly spares a traceback per connection
    finally:
        writer.close()


async def main(port):
    server = await asyncio.start_server(serve, "127.0.0.1", port, limit=HEAD_LIMIT, backlog=1024)
    # SIGTERM (and Ctrl-C) stop the server with exit code 0 at once: asyncio.run then
    # cancels the connections' tasks, rather than waiting for clients to hang up.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: asyncio_server.py PORT")
    asyncio.run(main(int(sys.argv[1])))
