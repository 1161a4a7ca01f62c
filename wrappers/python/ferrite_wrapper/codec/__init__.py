"""Codecs: how messages become bytes and back, one module per wire format.

A codec is pure: it turns ``(kind, payload)`` into bytes and takes complete messages off
the front of a buffer, answering "need more" (no messages, nothing consumed) when the
buffer ends inside a frame. It never touches a transport. A new format is one module
with a class of the :class:`Codec` shape, plus its line in :data:`CODECS`.
"""

from __future__ import annotations

from typing import Callable, Protocol

from ..protocol import Buffer, Message, Payload
from .flatbuffers import FlatbuffersCodec
from .json import JsonCodec
from .msgpack import MsgpackCodec

__all__ = [
    "CODECS",
    "Codec",
    "FlatbuffersCodec",
    "JsonCodec",
    "MsgpackCodec",
    "codec_for",
]


class Codec(Protocol):
    """What a connection needs of a wire format. Codecs may keep state between calls
    (a reusable packer, how far a line was scanned), so each connection has its own."""

    #: As in ``FERRITE_CODEC``.
    name: str

    def encode(self, kind: int, payload: Payload) -> bytes:
        """The frame of one message."""
        ...

    def decode(self, data: Buffer) -> tuple[list[Message], int]:
        """Every complete message at the front of ``data``, and how many bytes they
        used; a frame not yet complete is left for the next call.

        The messages may hold views of ``data`` (the flatbuffers codec's event bodies),
        so the caller leaves ``data`` unchanged while it uses them."""
        ...


#: ``FERRITE_CODEC`` names to codecs.
CODECS: dict[str, Callable[[], Codec]] = {
    "msgpack": MsgpackCodec,
    "json": JsonCodec,
    "flatbuffers": FlatbuffersCodec,
}


def codec_for(name: str) -> Codec:
    """A fresh codec named as in ``FERRITE_CODEC``."""
    try:
        return CODECS[name]()
    except KeyError:
        raise ValueError(
            f"unknown codec {name!r}: expected one of {', '.join(CODECS)}"
        ) from None
