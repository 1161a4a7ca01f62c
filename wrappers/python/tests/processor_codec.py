"""The processor's side of each codec, for the tests that play the processor.

The json and msgpack codecs read and write every kind, so the wrapper's own serve. The
wrapper's flatbuffers codec reads only what the processor sends and writes only what it
sends back; :class:`FlatbuffersProcessorCodec` does the rest, every kind in fact, with
nothing but the generated code and the runtime's ``Table`` and ``Builder``. It is
written from the schema's field list rather than by hand per kind, so it is also the
reference the codec's own hand-tuned reading of events and writing of responses is
checked against.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import flatbuffers

from ferrite_wrapper.codec import codec_for
from ferrite_wrapper.codec import wire_generated as wire
from ferrite_wrapper.protocol import (
    KIND_NAMES,
    Buffer,
    Message,
    Payload,
    ProtocolError,
)

_LENGTH = struct.Struct(">I")

#: Each message's fields in ``schemas/wire.fbs`` order (their vtable slots) and types.
FIELDS: dict[str, list[tuple[str, str]]] = {
    "hello": [
        ("protocol", "uint"),
        ("token", "str"),
        ("runtime", "str"),
        ("runtime_version", "str"),
        ("pid", "uint"),
        ("concurrency", "uint"),
    ],
    "ready": [],
    "init_error": [("message", "str"), ("detail", "optional str")],
    "event": [
        ("id", "uint"),
        ("trigger", "trigger"),
        ("method", "str"),
        ("path", "str"),
        ("url", "str"),
        ("query", "pairs"),
        ("headers", "pairs"),
        ("content_type", "str"),
        ("body", "bin"),
        ("timestamp", "uint"),
        ("deadline", "uint"),
    ],
    "response": [
        ("id", "uint"),
        ("status", "uint"),
        ("headers", "pairs"),
        ("content_type", "str"),
        ("body", "bin"),
        ("error", "optional str"),
    ],
    "log": [
        ("id", "optional uint"),
        ("level", "str"),
        ("message", "str"),
        ("fields", "json"),
    ],
    "metric": [("name", "str"), ("value", "float"), ("labels", "pairs")],
    "ping": [("nonce", "uint")],
    "pong": [("nonce", "uint")],
    "shutdown": [],
}

#: The generated names of each message's table.
TABLES = {
    "hello": "Hello",
    "ready": "Ready",
    "init_error": "InitError",
    "event": "Event",
    "response": "Response",
    "log": "Log",
    "metric": "Metric",
    "ping": "Ping",
    "pong": "Pong",
    "shutdown": "Shutdown",
}


def _camel(field: str) -> str:
    """The generated accessor's name: ``runtime_version`` -> ``RuntimeVersion``."""
    name = "".join(part.capitalize() for part in field.split("_"))
    return "FieldsJson" if name == "Fields" else name


def processor_codec_for(name: str):
    """A fresh codec for the processor's end of a connection of codec ``name``."""
    if name == "flatbuffers":
        return FlatbuffersProcessorCodec()
    return codec_for(name)


class FlatbuffersProcessorCodec:
    """Every kind both ways in the flatbuffers format, through the generated code.

    Decoded bodies are ``bytes`` (tests keep messages across reads); an absent
    optional field (``detail``, ``error``, a log's ``id`` and ``fields``) is absent from
    the payload, every other field is there with its value or default.
    """

    name = "flatbuffers"

    def encode(self, kind: int, payload: Payload) -> bytes:
        name = KIND_NAMES[kind]
        table = TABLES[name]
        builder = flatbuffers.Builder(1024)
        refs: dict[str, int] = {}
        # Strings, vectors and sub-tables before the table: nothing else may be built
        # between a table's Start and End.
        for field, wire_type in FIELDS[name]:
            value = payload.get(field)
            if value is None:
                continue
            if wire_type.endswith("str"):
                refs[field] = builder.CreateString(value)
            elif wire_type == "json":
                refs[field] = builder.CreateString(
                    json.dumps(value, ensure_ascii=False, separators=(",", ":"))
                )
            elif wire_type == "bin":
                refs[field] = builder.CreateByteVector(bytes(value))
            elif wire_type == "pairs":
                refs[field] = self._pairs(builder, table, field, value)
            elif wire_type == "trigger":
                kind_ref = builder.CreateString(value.get("kind", ""))
                name_ref = builder.CreateString(value.get("name", ""))
                wire.TriggerStart(builder)
                wire.TriggerAddKind(builder, kind_ref)
                wire.TriggerAddName(builder, name_ref)
                refs[field] = wire.TriggerEnd(builder)
        getattr(wire, f"{table}Start")(builder)
        for field, _ in FIELDS[name]:
            value = payload.get(field)
            if value is None:
                continue
            add = getattr(wire, f"{table}Add{_camel(field)}")
            add(builder, refs.get(field, value))
        message = getattr(wire, f"{table}End")(builder)
        wire.FrameStart(builder)
        wire.FrameAddMessageType(builder, kind)
        wire.FrameAddMessage(builder, message)
        builder.Finish(wire.FrameEnd(builder), file_identifier=b"FRT1")
        buffer = builder.Output()
        return _LENGTH.pack(len(buffer)) + buffer

    @staticmethod
    def _pairs(builder, table: str, field: str, mapping: dict) -> int:
        offsets = []
        for key, value in mapping.items():
            key_ref = builder.CreateString(key)
            value_ref = builder.CreateString(value)
            wire.PairStart(builder)
            wire.PairAddKey(builder, key_ref)
            wire.PairAddValue(builder, value_ref)
            offsets.append(wire.PairEnd(builder))
        getattr(wire, f"{table}Start{_camel(field)}Vector")(builder, len(offsets))
        for offset in reversed(offsets):
            builder.PrependUOffsetTRelative(offset)
        return builder.EndVector()

    def decode(self, data: Buffer) -> tuple[list[Message], int]:
        data = bytes(data)
        messages: list[Message] = []
        pos = 0
        while len(data) - pos >= 4:
            (size,) = _LENGTH.unpack_from(data, pos)
            if pos + 4 + size > len(data):
                break
            messages.append(read_buffer(data[pos + 4 : pos + 4 + size]))
            pos += 4 + size
        return messages, pos


def read_buffer(buffer: bytes) -> Message:
    """The message of one FlatBuffers buffer (a ``.fb`` vector), read by the generated
    code."""
    if not wire.Frame.FrameBufferHasIdentifier(buffer, 0):
        raise ProtocolError(f"not a ferrite frame: identifier {buffer[4:8]!r}")
    frame = wire.Frame.GetRootAs(buffer, 0)
    kind = frame.MessageType()
    if kind not in KIND_NAMES:
        raise ProtocolError(f"unknown message kind {kind}")
    name = KIND_NAMES[kind]
    union = frame.Message()
    table = getattr(wire, TABLES[name])()
    table.Init(union.Bytes, union.Pos)
    payload: dict[str, Any] = {}
    for slot, (field, wire_type) in enumerate(FIELDS[name]):
        if wire_type == "bin":
            payload[field] = _bytes(table._tab, 4 + 2 * slot)
            continue
        accessor = _camel(field)
        if wire_type == "pairs":
            item = getattr(table, accessor)
            count = getattr(table, f"{accessor}Length")()
            payload[field] = {
                _str(item(j).Key()): _str(item(j).Value()) for j in range(count)
            }
            continue
        value = getattr(table, accessor)()
        if wire_type.startswith("optional"):
            if value is not None:
                payload[field] = _str(value) if wire_type.endswith("str") else value
        elif wire_type == "json":
            if value is not None:
                payload[field] = json.loads(value)
        elif wire_type == "str":
            payload[field] = _str(value)
        elif wire_type == "trigger":
            payload[field] = (
                {"kind": _str(value.Kind()), "name": _str(value.Name())}
                if value is not None
                else {}
            )
        else:
            payload[field] = value
    return kind, payload


def _str(value: bytes | None) -> str:
    return "" if value is None else value.decode("utf-8")


def _bytes(tab, slot: int) -> bytes:
    """A ``[ubyte]`` field at once; the generated ``Body(j)`` reads a byte a call."""
    offset = tab.Offset(slot)
    if not offset:
        return b""
    start = tab.Vector(offset)
    return bytes(tab.Bytes[start : start + tab.VectorLen(offset)])
