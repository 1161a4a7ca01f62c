"""The ``flatbuffers`` codec: ``u32 BE length | FlatBuffers buffer`` frames, the
buffer's root a ``Frame`` table (``schemas/wire.fbs``, identifier ``FRT1``) whose
union type is the message kind.

A wrapper reads what the processor sends (event, ping, shutdown) and writes what it
sends back (hello, ready, init_error, response, log, metric, pong); this codec does
exactly that, and refuses the other direction.

Everything goes through the code ``scripts/gen-wire`` generates (``wire_generated.py``)
and the PyPI ``flatbuffers`` runtime, except the two steps every event takes, where that
code is too slow for the hot path (``benchmarks/bench_codec.py``; figures in the
README):

- the event is read with ``struct.unpack_from`` straight off the frame. The generated
  accessors go through ``flatbuffers.table.Table``, which range-checks every offset and
  wraps the buffer in a new memoryview for every number it reads: five to six times the
  cost on CPython (on PyPy, whose JIT makes them cheap, 1.5 times on a small event);
- the response is laid out by one ``struct.pack`` and one join. The runtime's
  ``Builder`` makes about a hundred Python calls for one small table and copies a body
  three times where the join copies it once: 18 to 28 times the cost on CPython, 5 to 23
  on PyPy.

Both follow the format as the runtime reads and writes it (vtables, offsets, alignment,
strings ending in a NUL): the generated code reads what the writer writes in the tests,
the golden vectors (``tests/test_golden.py``) check both, and the processor runs the
FlatBuffers verifier over every frame it reads.

The event's body is a ``memoryview`` of the received frame, not a copy: it is valid
until the connection reads again (see :class:`~ferrite_wrapper.connection.Connection`),
and the worker makes the one copy the SDK's ``bytes`` needs.
"""

from __future__ import annotations

import json
import struct
from typing import Any, Callable

import flatbuffers

from ..protocol import (
    EVENT,
    HELLO,
    INIT_ERROR,
    KIND_NAMES,
    LOG,
    MAX_FRAME_LEN,
    METRIC,
    PING,
    PONG,
    READY,
    RESPONSE,
    SHUTDOWN,
    Buffer,
    FrameTooLarge,
    Message,
    Payload,
    ProtocolError,
)
from . import wire_generated as wire

__all__ = ["FlatbuffersCodec"]

#: ``schemas/wire.fbs``'s ``file_identifier``: bytes 4 to 8 of every buffer.
IDENTIFIER = b"FRT1"

_LENGTH = struct.Struct(">I")
_LENGTH_LEN = _LENGTH.size

# FlatBuffers is little-endian throughout.
_I32 = struct.Struct("<i").unpack_from
_U32 = struct.Struct("<I").unpack_from
_U16 = struct.Struct("<H").unpack_from
_U64 = struct.Struct("<Q").unpack_from
_U32_PACK = struct.Struct("<I").pack
#: A vtable's field offsets, read at once: ``_VTABLE[n]`` reads ``n`` of them.
_VTABLE = [struct.Struct(f"<{n}H").unpack_from for n in range(12)]

_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class FlatbuffersCodec:
    """``u32 BE length | FlatBuffers buffer`` frames (``schemas/PROTOCOL.md`` §3).

    Keeps no state between calls, so it may be shared; a connection has its own anyway.
    """

    name = "flatbuffers"

    def encode(self, kind: int, payload: Payload) -> bytes:
        """The frame of one message the wrapper sends."""
        write = _WRITERS.get(kind)
        if write is None:
            raise ValueError(
                f"the flatbuffers codec does not write {KIND_NAMES.get(kind, kind)} "
                "messages: only the processor sends them"
            )
        return write(payload)

    def decode(self, data: Buffer) -> tuple[list[Message], int]:
        """Every complete message at the front of ``data`` and the bytes they used.

        A partial frame at the end is left alone (not an error). An event's body is a
        view of ``data``, so the caller leaves ``data`` as it is while it uses the
        messages: written into or resized, it would change the body too.
        """
        view = data if type(data) is memoryview else memoryview(data)
        messages: list[Message] = []
        end = len(view)
        pos = 0
        unpack_length = _LENGTH.unpack_from
        while end - pos >= _LENGTH_LEN:
            (size,) = unpack_length(view, pos)
            if size > MAX_FRAME_LEN:
                raise FrameTooLarge(size)
            stop = pos + _LENGTH_LEN + size
            if stop > end:
                break
            if size == 0:
                raise ProtocolError("empty frame (length 0)")
            messages.append(_read(view[pos + _LENGTH_LEN : stop]))
            pos = stop
        return messages, pos


# -- reading ---------------------------------------------------------------------


def _read(frame: memoryview) -> Message:
    """The message of one buffer; offsets are from the buffer's start."""
    if len(frame) < 8:
        raise ProtocolError(
            f"malformed flatbuffers frame: {len(frame)} bytes cannot hold a buffer"
        )
    if frame[4:8] != IDENTIFIER:
        raise ProtocolError(
            f"malformed flatbuffers frame: its identifier is {bytes(frame[4:8])!r}, "
            f"not {IDENTIFIER!r}"
        )
    try:
        root = _U32(frame, 0)[0]
        kind_at, message_at = _fields(frame, root, 2)
        kind = frame[root + kind_at] if kind_at else 0
    except (struct.error, IndexError, ValueError) as exc:
        raise ProtocolError(f"malformed flatbuffers frame: {exc}") from exc
    if kind not in KIND_NAMES:
        raise ProtocolError(f"unknown message kind {kind}")
    read = _READERS.get(kind)
    if read is None:
        raise ProtocolError(f"unexpected {KIND_NAMES[kind]} message from the processor")
    try:
        if not message_at:
            raise ValueError("the message table is missing")
        table = root + message_at
        table += _U32(frame, table)[0]
        return kind, read(frame, table)
    except (struct.error, IndexError, ValueError) as exc:
        raise ProtocolError(f"malformed {KIND_NAMES[kind]} message: {exc}") from exc


def _fields(buf: memoryview, table: int, count: int) -> tuple[int, ...]:
    """The offsets of a table's first ``count`` fields, 0 for each one absent."""
    vtable = table - _I32(buf, table)[0]
    if vtable < 0:  # unpack_from would count a negative offset from the end
        raise ValueError(f"a vtable offset points {-vtable} bytes before the buffer")
    have = (_U16(buf, vtable)[0] - 4) >> 1
    if have >= count:
        return _VTABLE[count](buf, vtable + 4)
    if have < 0:
        raise ValueError("a vtable shorter than its own header")
    return _VTABLE[have](buf, vtable + 4) + (0,) * (count - have)


def _vector(buf: memoryview, at: int) -> tuple[int, int]:
    """``(start, stop)`` of the vector whose offset is stored at ``at``."""
    at += _U32(buf, at)[0]
    start = at + 4
    stop = start + _U32(buf, at)[0]
    if stop > len(buf):
        raise ValueError(f"a vector runs {stop - len(buf)} bytes past the buffer")
    return start, stop


def _text(buf: memoryview, at: int) -> str:
    start, stop = _vector(buf, at)
    return str(buf[start:stop], "utf-8")


def _pairs(buf: memoryview, at: int) -> dict[str, str]:
    at += _U32(buf, at)[0]
    out = {}
    for entry in range(at + 4, at + 4 + 4 * _U32(buf, at)[0], 4):
        pair = entry + _U32(buf, entry)[0]
        key, value = _fields(buf, pair, 2)
        out[_text(buf, pair + key) if key else ""] = (
            _text(buf, pair + value) if value else ""
        )
    return out


def _event(buf: memoryview, table: int) -> Payload:
    (
        id_,
        trigger,
        method,
        path,
        url,
        query,
        headers,
        content_type,
        body,
        timestamp,
        deadline,
    ) = _fields(buf, table, 11)
    if trigger:
        at = table + trigger
        at += _U32(buf, at)[0]
        kind, name = _fields(buf, at, 2)
        trigger_map = {
            "kind": _text(buf, at + kind) if kind else "",
            "name": _text(buf, at + name) if name else "",
        }
    else:
        trigger_map = {}
    if body:
        start, stop = _vector(buf, table + body)
        body_view = buf[start:stop]  # in place: no copy of the body
    else:
        body_view = buf[0:0]
    return {
        "id": _U64(buf, table + id_)[0] if id_ else 0,
        "trigger": trigger_map,
        "method": _text(buf, table + method) if method else "",
        "path": _text(buf, table + path) if path else "",
        "url": _text(buf, table + url) if url else "",
        "query": _pairs(buf, table + query) if query else {},
        "headers": _pairs(buf, table + headers) if headers else {},
        "content_type": _text(buf, table + content_type) if content_type else "",
        "body": body_view,
        "timestamp": _U64(buf, table + timestamp)[0] if timestamp else 0,
        "deadline": _U64(buf, table + deadline)[0] if deadline else 0,
    }


def _ping(buf: memoryview, table: int) -> Payload:
    ping = wire.Ping()
    ping.Init(buf, table)
    return {"nonce": ping.Nonce()}


def _shutdown(buf: memoryview, table: int) -> Payload:
    return {}


#: What the processor sends, the only kinds a wrapper reads.
_READERS: dict[int, Callable[[memoryview, int], Payload]] = {
    EVENT: _event,
    PING: _ping,
    SHUTDOWN: _shutdown,
}


# -- writing with the generated builders -----------------------------------------


def _finish(builder: flatbuffers.Builder, kind: int, message: int) -> bytes:
    wire.FrameStart(builder)
    wire.FrameAddMessageType(builder, kind)
    wire.FrameAddMessage(builder, message)
    builder.Finish(wire.FrameEnd(builder), file_identifier=IDENTIFIER)
    buffer = builder.Output()
    if len(buffer) > MAX_FRAME_LEN:
        raise FrameTooLarge(len(buffer))
    return _LENGTH.pack(len(buffer)) + buffer


def _pair_vector(
    builder: flatbuffers.Builder,
    start_vector: Callable[[flatbuffers.Builder, int], Any],
    mapping: dict[str, str],
) -> int:
    pairs = []
    for key, value in mapping.items():
        key_at = builder.CreateString(key)
        value_at = builder.CreateString(value)
        wire.PairStart(builder)
        wire.PairAddKey(builder, key_at)
        wire.PairAddValue(builder, value_at)
        pairs.append(wire.PairEnd(builder))
    start_vector(builder, len(pairs))
    for pair in reversed(pairs):  # a builder writes back to front
        builder.PrependUOffsetTRelative(pair)
    return builder.EndVector()


# A builder per frame, not one per codec: handler threads log while the worker
# encodes, and a Builder is not safe to share.


def _hello(payload: Payload) -> bytes:
    builder = flatbuffers.Builder(256)
    token = builder.CreateString(payload.get("token") or "")
    runtime = builder.CreateString(payload.get("runtime") or "")
    version = builder.CreateString(payload.get("runtime_version") or "")
    wire.HelloStart(builder)
    wire.HelloAddProtocol(builder, payload.get("protocol") or 0)
    wire.HelloAddToken(builder, token)
    wire.HelloAddRuntime(builder, runtime)
    wire.HelloAddRuntimeVersion(builder, version)
    wire.HelloAddPid(builder, payload.get("pid") or 0)
    wire.HelloAddConcurrency(builder, payload.get("concurrency") or 0)
    return _finish(builder, HELLO, wire.HelloEnd(builder))


def _ready(payload: Payload) -> bytes:
    builder = flatbuffers.Builder(64)
    wire.ReadyStart(builder)
    return _finish(builder, READY, wire.ReadyEnd(builder))


def _init_error(payload: Payload) -> bytes:
    builder = flatbuffers.Builder(1024)
    message = builder.CreateString(payload.get("message") or "")
    detail = payload.get("detail")
    detail_at = builder.CreateString(detail) if detail is not None else None
    wire.InitErrorStart(builder)
    wire.InitErrorAddMessage(builder, message)
    if detail_at is not None:
        wire.InitErrorAddDetail(builder, detail_at)
    return _finish(builder, INIT_ERROR, wire.InitErrorEnd(builder))


def _log(payload: Payload) -> bytes:
    builder = flatbuffers.Builder(256)
    level = builder.CreateString(payload.get("level") or "")
    message = builder.CreateString(payload.get("message") or "")
    fields = payload.get("fields")
    fields_at = builder.CreateString(_JSON.encode(fields)) if fields else None
    event_id = payload.get("id")
    wire.LogStart(builder)
    if event_id is not None:
        wire.LogAddId(builder, event_id)
    wire.LogAddLevel(builder, level)
    wire.LogAddMessage(builder, message)
    if fields_at is not None:
        wire.LogAddFieldsJson(builder, fields_at)
    return _finish(builder, LOG, wire.LogEnd(builder))


def _metric(payload: Payload) -> bytes:
    builder = flatbuffers.Builder(256)
    name = builder.CreateString(payload.get("name") or "")
    labels = payload.get("labels")
    labels_at = (
        _pair_vector(builder, wire.MetricStartLabelsVector, labels) if labels else None
    )
    wire.MetricStart(builder)
    wire.MetricAddName(builder, name)
    wire.MetricAddValue(builder, float(payload.get("value") or 0.0))
    if labels_at is not None:
        wire.MetricAddLabels(builder, labels_at)
    return _finish(builder, METRIC, wire.MetricEnd(builder))


def _pong(payload: Payload) -> bytes:
    builder = flatbuffers.Builder(64)
    wire.PongStart(builder)
    wire.PongAddNonce(builder, payload.get("nonce") or 0)
    return _finish(builder, PONG, wire.PongEnd(builder))


# -- writing a response by hand ----------------------------------------------------
#
# The buffer, offsets from its start (after the wire's length prefix):
#
#    0  u32  root: the Frame table at 16
#    4       "FRT1"
#    8  Frame vtable: 4 u16 (its size 8, table size 12, message_type at 8, message at 4)
#   16  Frame table: i32 to its vtable, u32 to the Response table, u8 kind, 3 bytes pad
#   28  Response vtable: 8 u16 (its size 16, table size 32, then each field's offset in
#       the table, 0 for one absent)
#   44  Response table: i32 to its vtable, then id (u64, at 48: 8-aligned), status,
#       and the u32 offsets of headers, content_type, body, error
#   76  what those offsets point to: the headers vector, one Pair vtable its tables
#       share, the Pair tables, their strings; content_type; error; body.
#
# A string is u32 length, its UTF-8, a NUL, zeros to the next multiple of 4, so every
# length lands 4-aligned; the body, a [ubyte] vector, comes last and needs no padding.

_RESPONSE_HEAD = struct.Struct("<4s I 4s 4H iIB3x 8H iQ5I")
_RESPONSE_VECTORS = 76  # where the headers, text and body begin
_PAIR_VTABLE = struct.pack("<4H", 8, 12, 4, 8)
_PAIR_TABLE = struct.Struct("<iII").pack


def _string(text: str, parts: list) -> int:
    """Appends a FlatBuffers string to ``parts``; the bytes it takes."""
    data = text.encode("utf-8")
    size = len(data)
    parts += (_U32_PACK(size), data, b"\0" * (4 - (size & 3)))
    return size + 8 - (size & 3)


def _response(payload: Payload) -> bytes:
    get = payload.get
    parts: list = [b""]  # the head, once the offsets are known
    at = _RESPONSE_VECTORS
    headers_at = content_type_at = body_at = error_at = 0
    headers = get("headers")
    if headers:
        headers_at = at
        count = len(headers)
        vtable_at = at + 4 + 4 * count
        first_pair = vtable_at + 8
        text_at = first_pair + 12 * count
        entries = []
        pairs = []
        strings: list = []
        for index, (key, value) in enumerate(headers.items()):
            pair_at = first_pair + 12 * index
            entries.append(pair_at - (headers_at + 4 + 4 * index))
            key_at = text_at
            text_at += _string(key, strings)
            value_at = text_at
            text_at += _string(value, strings)
            # Offsets from where each is stored: the vtable's back, the strings' on.
            pairs.append(
                _PAIR_TABLE(
                    pair_at - vtable_at, key_at - pair_at - 4, value_at - pair_at - 8
                )
            )
        vector = struct.pack(f"<{count + 1}I", count, *entries)
        parts += (vector, _PAIR_VTABLE, *pairs, *strings)
        at = text_at
    content_type = get("content_type")
    if content_type:
        content_type_at = at
        at += _string(content_type, parts)
    error = get("error")
    if error is not None:
        error_at = at
        at += _string(error, parts)
    body = get("body")
    if body:
        body_at = at
        parts += (_U32_PACK(len(body)), body)
        at += 4 + len(body)
    if at > MAX_FRAME_LEN:
        raise FrameTooLarge(at)
    parts[0] = _RESPONSE_HEAD.pack(
        _LENGTH.pack(at),
        16,
        IDENTIFIER,
        8, 12, 8, 4,
        16 - 8, 44 - 20, RESPONSE,
        16, 32, 4, 12,
        16 if headers_at else 0,
        20 if content_type_at else 0,
        24 if body_at else 0,
        28 if error_at else 0,
        44 - 28,
        get("id") or 0,
        get("status") or 0,
        headers_at - 60 if headers_at else 0,
        content_type_at - 64 if content_type_at else 0,
        body_at - 68 if body_at else 0,
        error_at - 72 if error_at else 0,
    )  # fmt: skip
    # A list, not a tuple: PyPy joins a tuple's items several times slower.
    return b"".join(parts)


#: What the wrapper sends, the only kinds it writes.
_WRITERS: dict[int, Callable[[Payload], bytes]] = {
    HELLO: _hello,
    READY: _ready,
    INIT_ERROR: _init_error,
    RESPONSE: _response,
    LOG: _log,
    METRIC: _metric,
    PONG: _pong,
}
