"""The ferrite wire protocol, version 1 (``schemas/PROTOCOL.md``): its message kinds,
its limits, and the errors of a stream that breaks it.

A message is a plain ``(kind, payload)`` tuple, ``kind`` one of the ``int`` constants
below and ``payload`` the message's field map, because tuples and dicts are the cheapest
things Python builds on the hot path. How a message becomes bytes is a codec's business
(:mod:`ferrite_wrapper.codec`).
"""

from __future__ import annotations

from typing import Any, Union

PROTOCOL_VERSION = 1

#: The largest frame either side may send (msgpack: the length field; json: the line).
MAX_FRAME_LEN = 256 * 1024 * 1024

HELLO = 1
READY = 2
INIT_ERROR = 3
EVENT = 4
RESPONSE = 5
LOG = 6
METRIC = 7
PING = 8
PONG = 9
SHUTDOWN = 10

#: Message kind code to its name, the json codec's ``"kind"`` value.
KIND_NAMES = {
    HELLO: "hello",
    READY: "ready",
    INIT_ERROR: "init_error",
    EVENT: "event",
    RESPONSE: "response",
    LOG: "log",
    METRIC: "metric",
    PING: "ping",
    PONG: "pong",
    SHUTDOWN: "shutdown",
}
KIND_CODES = {name: code for code, name in KIND_NAMES.items()}

#: Fields of type ``bin``: msgpack carries them as bin, json as base64 text.
BIN_FIELDS = {EVENT: ("body",), RESPONSE: ("body",)}

Payload = dict[str, Any]
Message = tuple[int, Payload]
Buffer = Union[bytes, bytearray, memoryview]


class ProtocolError(Exception):
    """The bytes cannot be read as protocol messages; the connection is unusable."""


class FrameTooLarge(ProtocolError):
    """A frame over :data:`MAX_FRAME_LEN`, met while decoding or refused to encode."""

    def __init__(self, size: int) -> None:
        super().__init__(
            f"frame of {size} bytes is over the {MAX_FRAME_LEN}-byte limit"
        )
        self.size = size
