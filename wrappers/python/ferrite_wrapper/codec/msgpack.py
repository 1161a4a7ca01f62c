"""The ``msgpack`` codec: ``u32 BE length | u8 kind | msgpack map`` frames."""

from __future__ import annotations

import struct
from typing import Any

import msgpack

from ..protocol import (
    KIND_NAMES,
    MAX_FRAME_LEN,
    Buffer,
    FrameTooLarge,
    Message,
    Payload,
    ProtocolError,
)
from . import msgpack_unpack

#: How a payload is decoded: msgpack's C extension where it is built (CPython), else the
#: codec's own reader, which is faster than msgpack's pure-Python fallback under PyPy.
if msgpack.Unpacker.__module__ == "msgpack.fallback":
    unpack_payload = msgpack_unpack.unpack
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
