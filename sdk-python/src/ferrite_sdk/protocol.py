"""The ferrite wire protocol, version 1 (``schemas/PROTOCOL.md``): kinds and codecs.

A codec is pure: it turns ``(kind, payload)`` into bytes and takes complete messages off
the front of a buffer, answering "need more" (no messages, nothing consumed) when the
buffer ends inside a frame. It never touches a socket. A message is a plain
``(kind, payload)`` tuple, ``kind`` one of the ``int`` constants below and ``payload``
the message's field map, because tuples and dicts are the cheapest things Python builds
on the hot path.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
import sys
from binascii import b2a_base64
from typing import Any, Union

import msgpack

from . import unpack

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


#: How a payload is decoded: msgpack's C extension where it is built (CPython), else this
#: package's own decoder, which is faster than msgpack's pure-Python fallback under PyPy.
if msgpack.Unpacker.__module__ == "msgpack.fallback":
    unpack_payload = unpack.unpack
else:
    unpack_payload = msgpack.unpackb  # raw=False, the default since msgpack 1.0

_HEADER = struct.Struct(">IB")
_LENGTH = struct.Struct(">I")
_LENGTH_LEN = _LENGTH.size


class MsgpackCodec:
    """``u32 BE length | u8 kind | msgpack map`` frames, ``length`` counting kind + map.

    Holds a reusable :class:`msgpack.Packer`, so use one instance per connection.
    """

    name = "msgpack"

    def __init__(self) -> None:
        self._pack = msgpack.Packer(use_bin_type=True).pack

    def encode(self, kind: int, payload: Payload) -> bytes:
        """The frame of one message."""
        body = self._pack(payload)
        size = len(body) + 1
        if size > MAX_FRAME_LEN:
            raise FrameTooLarge(size)
        return _HEADER.pack(size, kind) + body

    def decode(self, data: Buffer) -> tuple[list[Message], int]:
        """Every complete message at the front of ``data`` and the bytes they used.

        A partial frame at the end is left alone (it is not an error): the caller keeps
        ``data[used:]`` and calls again with more bytes appended. No view of ``data``
        outlives the call, so the caller may then resize it.
        """
        messages: list[Message] = []
        end = len(data)
        pos = 0
        unpack_length = _LENGTH.unpack_from
        unpack_map = unpack_payload
        while end - pos >= _LENGTH_LEN:
            (size,) = unpack_length(data, pos)
            if size > MAX_FRAME_LEN:
                raise FrameTooLarge(size)
            stop = pos + _LENGTH_LEN + size
            if stop > end:
                break
            if size == 0:
                raise ProtocolError("empty frame (length 0)")
            kind = data[pos + _LENGTH_LEN]
            try:
                payload = unpack_map(data[pos + _LENGTH_LEN + 1 : stop])
            except Exception as exc:  # msgpack raises several unrelated types
                raise _malformed(kind, exc) from exc
            if type(payload) is not dict or kind not in KIND_NAMES:
                raise _malformed(kind, payload)
            messages.append((kind, payload))
            pos = stop
        return messages, pos


def _malformed(kind: int, cause: Any) -> ProtocolError:
    if kind not in KIND_NAMES:
        return ProtocolError(f"unknown message kind {kind}")
    if isinstance(cause, Exception):
        return ProtocolError(f"malformed {KIND_NAMES[kind]} message: {cause}")
    return ProtocolError(
        f"malformed {KIND_NAMES[kind]} message: the payload is a "
        f"{type(cause).__name__}, not a map"
    )


if sys.version_info >= (3, 11):

    def _b64decode(text: str) -> bytes:
        return binascii.a2b_base64(text, strict_mode=True)

else:

    def _b64decode(text: str) -> bytes:
        return base64.b64decode(text, validate=True)


class JsonCodec:
    """One JSON object per ``\\n``-ended line, ``"kind"`` naming the message, bin in
    base64.

    Remembers how far it has searched for a newline, so a long line arriving over many
    reads is scanned once: use one instance per connection, and always pass a buffer
    that starts where the last call's consumed bytes ended.
    """

    name = "json"

    def __init__(self) -> None:
        self._scanned = 0
        self._dumps = json.JSONEncoder(
            ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode

    def encode(self, kind: int, payload: Payload) -> bytes:
        """The line of one message, ``\\n`` included."""
        obj = {"kind": KIND_NAMES[kind]}
        obj.update(payload)
        # Base64 text never needs JSON escaping, so bin fields are spliced in after the
        # rest is encoded: the encoder's scan of a long body string for characters to
        # escape cost as much as the base64 itself (64 KiB: ~170 us of ~600 per echo).
        parts = []
        for field in BIN_FIELDS.get(kind, ()):
            value = obj.get(field)
            if value is not None:
                del obj[field]
                text = b2a_base64(value, newline=False)
                parts += (b',"', field.encode(), b'":"', text, b'"')
        line = self._dumps(obj).encode("utf-8")
        if parts:
            # obj always holds "kind", so it is never empty and the comma is right.
            line = b"".join((line[:-1], *parts, b"}"))
        if len(line) > MAX_FRAME_LEN:
            raise FrameTooLarge(len(line))
        return line + b"\n"

    def decode(self, data: Buffer) -> tuple[list[Message], int]:
        """Every complete line at the front of ``data`` and the bytes they used.

        A line without its ``\\n`` yet is left alone (not an error).
        """
        if type(data) is memoryview:
            data = data.tobytes()
        messages: list[Message] = []
        end = len(data)
        pos = 0
        while True:
            newline = data.find(b"\n", pos + self._scanned)
            if newline < 0:
                self._scanned = end - pos
                if self._scanned > MAX_FRAME_LEN:
                    raise FrameTooLarge(self._scanned)
                break
            self._scanned = 0
            if newline - pos > MAX_FRAME_LEN:
                raise FrameTooLarge(newline - pos)
            messages.append(_parse_line(data[pos:newline]))
            pos = newline + 1
        return messages, pos


def _parse_line(line: Buffer) -> Message:
    if line.endswith(b"\r"):
        line = line[:-1]
    if not line.strip():
        raise ProtocolError("empty frame (blank line)")
    try:
        obj = json.loads(line)
    except ValueError as exc:
        raise ProtocolError(f"malformed json message: {exc}") from exc
    if type(obj) is not dict:
        raise ProtocolError(
            f"malformed json message: a {type(obj).__name__}, not an object"
        )
    name = obj.pop("kind", None)
    kind = KIND_CODES.get(name) if isinstance(name, str) else None
    if kind is None:
        raise ProtocolError(f"unknown message kind {name!r}")
    for field in BIN_FIELDS.get(kind, ()):
        value = obj.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ProtocolError(f"malformed {name} message: {field} is not a string")
        try:
            obj[field] = _b64decode(value)
        except (binascii.Error, ValueError) as exc:
            raise ProtocolError(
                f"malformed {name} message: {field} is not valid base64: {exc}"
            ) from exc
    return kind, obj


Codec = Union[MsgpackCodec, JsonCodec]

CODECS = {"msgpack": MsgpackCodec, "json": JsonCodec}


def codec_for(name: str) -> Codec:
    """A fresh codec named as in ``FERRITE_CODEC``."""
    try:
        return CODECS[name]()
    except KeyError:
        raise ValueError(
            f"unknown codec {name!r}: expected one of {', '.join(CODECS)}"
        ) from None
