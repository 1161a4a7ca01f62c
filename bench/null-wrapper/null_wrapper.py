"""The least a Python wrapper can do per event, to measure the ceiling of any real one.

It speaks just enough of the protocol (msgpack over a unix socket) to pass for a wrapper:
hello, ready, then for each event one response, status 200 with no body, written before
the next event is read, as every real wrapper must. It builds no event object, runs no
handler and decodes nothing but the event's id. What it costs per request is the floor
under any wrapper written in the interpreter that runs it; the gap between it and the
Python wrapper is all that work on the SDK could ever win. A benchmark instrument only:
see bench/README.md ("The ceiling of a wrapper").

The frames are written by hand, without msgpack, so that the interpreter needs nothing
installed and nothing is measured but the socket loop.
"""

import os
import socket
import struct
import sys

U16 = struct.Struct(">H")
U32 = struct.Struct(">I")
U64 = struct.Struct(">Q")
EVENT, RESPONSE, SHUTDOWN = 4, 5, 10


def text(value: str) -> bytes:
    data = value.encode()
    assert len(data) < 32, value
    return bytes([0xA0 | len(data)]) + data


def frame(kind: int, body: bytes) -> bytes:
    return U32.pack(len(body) + 1) + bytes([kind]) + body


def hello() -> bytes:
    token = os.environ.get("FERRITE_TOKEN", "").encode()
    fields = [
        (text("protocol"), b"\x01"),
        (text("token"), b"\xd9" + bytes([len(token)]) + token),
        (text("runtime"), text("pypy" if "PyPy" in sys.version else "python")),
        (text("runtime_version"), text(sys.version.split()[0])),
        (text("pid"), b"\xce" + U32.pack(os.getpid())),
        (text("concurrency"), b"\x01"),
    ]
    return frame(1, bytes([0x80 | len(fields)]) + b"".join(k + v for k, v in fields))


# After the id: status 200, no headers, no content type, an empty body.
RESPONSE_TAIL = (
    text("status") + b"\xcc\xc8" + text("headers") + b"\x80"
    + text("content_type") + text("") + text("body") + b"\xc4\x00"
)  # fmt: skip


def event_id(buf: bytearray, at: int) -> int:
    """The id of the event whose map starts at ``at``: ferrite writes it first."""
    if buf[at + 1 : at + 4] != b"\xa2id":
        sys.exit("null wrapper: the event's first field is not its id")
    b = buf[at + 4]
    if b < 0x80:
        return b
    if b == 0xCC:
        return buf[at + 5]
    if b == 0xCD:
        return U16.unpack_from(buf, at + 5)[0]
    if b == 0xCE:
        return U32.unpack_from(buf, at + 5)[0]
    return U64.unpack_from(buf, at + 5)[0]


def main() -> None:
    if (
        os.environ.get("FERRITE_TRANSPORT", "unix") != "unix"
        or os.environ.get("FERRITE_CODEC", "msgpack") != "msgpack"
    ):
        sys.exit("null wrapper: msgpack over a unix socket only")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(os.environ["FERRITE_ADDRESS"])
    sock.sendall(hello() + frame(2, b"\x80"))
    buf = bytearray()
    while True:
        data = sock.recv(1 << 20)
        if not data:
            return
        buf += data
        pos = 0
        while len(buf) - pos >= 4:
            size = U32.unpack_from(buf, pos)[0]
            if len(buf) - pos - 4 < size:
                break
            kind = buf[pos + 4]
            if kind == EVENT:
                body = b"\x85" + text("id") + b"\xcf" + U64.pack(event_id(buf, pos + 5))
                sock.sendall(frame(RESPONSE, body + RESPONSE_TAIL))
            elif kind == SHUTDOWN:
                return
            pos += 4 + size
        del buf[:pos]


if __name__ == "__main__":
    main()
