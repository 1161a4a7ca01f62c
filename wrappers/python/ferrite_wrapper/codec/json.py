"""The ``json`` codec: one JSON object per line, bin fields in base64."""

from __future__ import annotations

import base64
import binascii
import json
import sys
from binascii import b2a_base64

from ..protocol import (
    BIN_FIELDS,
    KIND_CODES,
    KIND_NAMES,
    MAX_FRAME_LEN,
    Buffer,
    FrameTooLarge,
    Message,
    Payload,
    ProtocolError,
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
