"""Codec conformance: every message kind round-trips in every codec, partial frames are
"need more", and malformed input is a clear error. Golden bytes pin the wire format.

A message goes the way it goes on the wire: what the wrapper sends is written by the
codec under test and read by the processor's side of it, what the processor sends the
other way round. For json and msgpack both sides are the wrapper's own codec; for
flatbuffers the processor's side is ``processor_codec.py``, over the generated code."""

from __future__ import annotations

import struct

import flatbuffers
import msgpack
import pytest

from ferrite_wrapper import protocol
from ferrite_wrapper.codec import (
    FlatbuffersCodec,
    JsonCodec,
    MsgpackCodec,
    codec_for,
)
from ferrite_wrapper.codec import json as json_codec
from ferrite_wrapper.codec import msgpack as msgpack_codec
from ferrite_wrapper.codec import wire_generated as wire
from ferrite_wrapper.protocol import (
    EVENT,
    HELLO,
    INIT_ERROR,
    KIND_NAMES,
    LOG,
    METRIC,
    PING,
    PONG,
    READY,
    RESPONSE,
    SHUTDOWN,
    FrameTooLarge,
    ProtocolError,
)
from processor_codec import FlatbuffersProcessorCodec, processor_codec_for

#: What the processor sends; the wrapper sends the rest.
FROM_PROCESSOR = (EVENT, PING, SHUTDOWN)

SAMPLES = {
    HELLO: {
        "protocol": 1,
        "token": "00ff",
        "runtime": "python",
        "runtime_version": "3.11.7",
        "pid": 4242,
        "concurrency": 1,
    },
    READY: {},
    INIT_ERROR: {
        "message": "ModuleNotFoundError: No module named 'main'",
        "detail": "Traceback (most recent call last):\n  ...",
    },
    EVENT: {
        "id": 2**53 - 1,
        "trigger": {"kind": "http", "name": "web"},
        "method": "POST",
        "path": "/a/b",
        "url": "/a/b?x=1",
        "query": {"x": "1"},
        "headers": {"content-type": "text/plain; charset=utf-8", "x-ünï": "çödé"},
        "content_type": "text/plain; charset=utf-8",
        "body": bytes(range(256)),
        "timestamp": 1_700_000_000_123,
        "deadline": 0,
    },
    RESPONSE: {
        "id": 7,
        "status": 201,
        "headers": {"x-a": "b"},
        "content_type": "application/json",
        "body": b'{"ok":true}',
        "error": None,
    },
    LOG: {
        "id": 7,
        "level": "info",
        "message": "héllo\nworld",
        "fields": {"n": 1, "f": 1.5, "ok": True, "none": None, "list": [1, "a"]},
    },
    METRIC: {"name": "requests", "value": 1.0, "labels": {"code": "200"}},
    PING: {"nonce": 12345},
    PONG: {"nonce": 12345},
    SHUTDOWN: {},
}


def test_samples_cover_every_kind():
    assert set(SAMPLES) == set(KIND_NAMES)


def ends(codec, kind):
    """``(writer, reader)`` of a message of ``kind``: the codec under test at the
    wrapper's end, the processor's side of it at the other."""
    processor = processor_codec_for(codec.name)
    return (processor, codec) if kind in FROM_PROCESSOR else (codec, processor)


def as_read(codec, payload):
    """``payload`` as ``codec`` reads it back: in a FlatBuffers table an optional field
    set to None is left out, and so reads as absent."""
    if codec.name == "flatbuffers":
        return {key: value for key, value in payload.items() if value is not None}
    return payload


@pytest.mark.parametrize("kind", sorted(SAMPLES), ids=lambda k: KIND_NAMES[k])
def test_round_trip(codec, kind):
    writer, reader = ends(codec, kind)
    frame = writer.encode(kind, SAMPLES[kind])
    assert reader.decode(frame) == ([(kind, as_read(codec, SAMPLES[kind]))], len(frame))


@pytest.mark.parametrize("towards", ["wrapper", "processor"])
def test_many_frames_in_one_buffer(codec, towards):
    kinds = [k for k in SAMPLES if (k in FROM_PROCESSOR) == (towards == "wrapper")]
    writer, reader = ends(codec, kinds[0])
    data = b"".join(writer.encode(kind, SAMPLES[kind]) for kind in kinds)
    messages, used = reader.decode(data)
    assert messages == [(kind, as_read(codec, SAMPLES[kind])) for kind in kinds]
    assert used == len(data)


def test_every_truncation_needs_more(codec):
    processor = processor_codec_for(codec.name)
    first = processor.encode(PING, {"nonce": 1})
    second = processor.encode(EVENT, SAMPLES[EVENT])
    for cut in range(len(second)):
        # Fresh codecs: the json one remembers how far it scanned its buffer.
        assert codec_for(codec.name).decode(second[:cut]) == ([], 0)
        assert codec_for(codec.name).decode(first + second[:cut]) == (
            [(PING, {"nonce": 1})],
            len(first),
        )


def test_frame_arriving_in_pieces(codec):
    """The connection's use: append what arrived, decode, keep what was not used."""
    event = dict(SAMPLES[EVENT], body=b"\x00" * 100_000)
    frame = processor_codec_for(codec.name).encode(EVENT, event)
    buffer = bytearray()
    got = []
    for start in range(0, len(frame), 4096):
        buffer += frame[start : start + 4096]
        messages, used = codec.decode(buffer)
        if used:
            # Not ``del buffer[:used]``: a body may be a view of the buffer.
            buffer = buffer[used:]
        got.extend(messages)
    assert got == [(EVENT, event)]
    assert not buffer


def test_decodes_from_memoryview(codec):
    frame = processor_codec_for(codec.name).encode(PING, {"nonce": 9})
    assert codec.decode(memoryview(frame)) == ([(PING, {"nonce": 9})], len(frame))


def test_unknown_keys_are_kept_for_the_reader_to_ignore(codec):
    if codec.name == "flatbuffers":
        pytest.skip("a FlatBuffers table has only the schema's fields")
    frame = codec.encode(PING, {"nonce": 1, "future": "field"})
    assert codec.decode(frame)[0] == [(PING, {"nonce": 1, "future": "field"})]


# -- msgpack golden bytes and errors ---------------------------------------------


def test_msgpack_wire_bytes():
    codec = MsgpackCodec()
    assert codec.encode(READY, {}) == b"\x00\x00\x00\x02\x02\x80"
    frame = codec.encode(RESPONSE, {"id": 1, "body": b"hi"})
    length, kind = struct.unpack(">IB", frame[:5])
    assert (length, kind) == (len(frame) - 4, RESPONSE)
    # bin, not str: 0xc4 is bin 8.
    assert frame[5:] == b"\x82\xa2id\x01\xa4body\xc4\x02hi"


def _raw_frame(kind: int, payload: bytes) -> bytes:
    return struct.pack(">IB", len(payload) + 1, kind) + payload


def test_msgpack_zero_length_is_an_error():
    with pytest.raises(ProtocolError, match="empty frame"):
        MsgpackCodec().decode(b"\x00\x00\x00\x00")


def test_msgpack_oversized_length_is_an_error_before_the_body_arrives():
    header = struct.pack(">I", protocol.MAX_FRAME_LEN + 1)
    with pytest.raises(FrameTooLarge, match="over the"):
        MsgpackCodec().decode(header + b"\x04")


def test_msgpack_unknown_kind():
    with pytest.raises(ProtocolError, match="unknown message kind 42"):
        MsgpackCodec().decode(_raw_frame(42, b"\x80"))


@pytest.mark.parametrize(
    "payload",
    [b"\xc1", b"\x81\xa1", msgpack.packb([1, 2]), msgpack.packb(3), b"\x80\x80"],
    ids=["never-used byte", "truncated map", "array", "int", "trailing data"],
)
def test_msgpack_malformed_payload(payload):
    with pytest.raises(ProtocolError, match="malformed event message"):
        MsgpackCodec().decode(_raw_frame(EVENT, payload))


def test_msgpack_refuses_to_encode_an_oversized_frame(monkeypatch):
    monkeypatch.setattr(msgpack_codec, "MAX_FRAME_LEN", 10)
    with pytest.raises(FrameTooLarge):
        MsgpackCodec().encode(RESPONSE, {"body": b"x" * 20})


# -- flatbuffers layout and errors ------------------------------------------------


def _response_table(frame: bytes):
    buffer = frame[4:]
    assert struct.unpack(">I", frame[:4])[0] == len(buffer)
    assert wire.Frame.FrameBufferHasIdentifier(buffer, 0)
    root = wire.Frame.GetRootAs(buffer, 0)
    assert root.MessageType() == RESPONSE
    union = root.Message()
    response = wire.Response()
    response.Init(union.Bytes, union.Pos)
    return buffer, response


def _check_vector(buffer: bytes, tab, slot: int, text: bool) -> None:
    offset = tab.Offset(slot)
    if offset:
        start = tab.Vector(offset)
        assert (start - 4) % 4 == 0, "a vector's length is not 4-aligned"
        if text:
            assert buffer[start + tab.VectorLen(offset)] == 0, "a string without NUL"


RESPONSES = {
    "full": {
        "id": 2**53 - 1,
        "status": 299,
        "headers": {"x-\u00fcber": "gr\u00fc\u00df \u2603", "": "", "a": "bc"},
        "content_type": "text/plain; charset=utf-8",
        "body": bytes(range(256)) * 3 + b"odd",
        "error": "ValueError: \u2603",
    },
    "bare": {"id": 0, "status": 0},
    "empty values": {
        "id": 1,
        "status": 204,
        "headers": {},
        "content_type": "",
        "body": b"",
        "error": "",
    },
    "many headers": {
        "id": 3,
        "status": 200,
        "headers": {f"x-h{n}": "v" * n for n in range(40)},
        "body": b"x",
    },
    "text of every length mod 4": {
        "id": 4,
        "status": 200,
        "headers": {"k" * n: "v" * (n + 1) for n in range(1, 9)},
        "content_type": "abc",
        "body": bytearray(b"12345"),
        "error": "abcd",
    },
}


@pytest.mark.parametrize("payload", RESPONSES.values(), ids=list(RESPONSES))
def test_flatbuffers_response_reads_as_written(payload):
    """The response is laid out by hand: the generated code must read back what was
    written, with the runtime's alignment (a u64 8-aligned, vector lengths 4-aligned,
    strings ending in a NUL), which the processor's verifier insists on."""
    frame = FlatbuffersCodec().encode(RESPONSE, payload)
    expected = {
        "id": payload["id"],
        "status": payload["status"],
        "headers": payload.get("headers", {}),
        "content_type": payload.get("content_type", ""),
        "body": bytes(payload.get("body", b"")),
    }
    if payload.get("error") is not None:
        expected["error"] = payload["error"]
    assert FlatbuffersProcessorCodec().decode(frame) == (
        [(RESPONSE, expected)],
        len(frame),
    )
    buffer, response = _response_table(frame)
    tab = response._tab
    assert tab.Pos % 4 == 0
    assert (tab.Pos + tab.Offset(4)) % 8 == 0, "the id is not 8-aligned"
    _check_vector(buffer, tab, 10, text=True)  # content_type
    _check_vector(buffer, tab, 12, text=False)  # body
    _check_vector(buffer, tab, 14, text=True)  # error
    for j in range(response.HeadersLength()):
        pair = response.Headers(j)._tab
        assert pair.Pos % 4 == 0
        _check_vector(buffer, pair, 4, text=True)
        _check_vector(buffer, pair, 6, text=True)


def test_flatbuffers_optional_fields_set_to_zero_or_empty_stay_present():
    """A log's id 0 is event 0, not "outside events"; an empty error is an error."""
    codec, processor = FlatbuffersCodec(), FlatbuffersProcessorCodec()
    log = {"id": 0, "level": "info", "message": ""}
    assert processor.decode(codec.encode(LOG, log))[0] == [(LOG, log)]
    failed = processor.decode(codec.encode(RESPONSE, {"id": 0, "error": ""}))[0]
    assert failed[0][1]["error"] == ""
    init_error = {"message": "", "detail": ""}
    assert processor.decode(codec.encode(INIT_ERROR, init_error))[0] == [
        (INIT_ERROR, init_error)
    ]


def test_flatbuffers_event_body_is_a_view_of_the_frame():
    frame = bytearray(FlatbuffersProcessorCodec().encode(EVENT, SAMPLES[EVENT]))
    (message,), _ = FlatbuffersCodec().decode(frame)
    body = message[1]["body"]
    assert type(body) is memoryview and body == SAMPLES[EVENT]["body"]
    frame[frame.index(bytes(range(256)))] = ord("!")  # the view sees it: no copy
    assert body[0] == ord("!")


def test_flatbuffers_refuses_to_write_what_the_processor_sends():
    for kind in FROM_PROCESSOR:
        with pytest.raises(ValueError, match="only the processor sends them"):
            FlatbuffersCodec().encode(kind, SAMPLES[kind])


def test_flatbuffers_zero_length_is_an_error():
    with pytest.raises(ProtocolError, match="empty frame"):
        FlatbuffersCodec().decode(b"\x00\x00\x00\x00")


def test_flatbuffers_oversized_length_is_an_error_before_the_body_arrives():
    header = struct.pack(">I", protocol.MAX_FRAME_LEN + 1)
    with pytest.raises(FrameTooLarge, match="over the"):
        FlatbuffersCodec().decode(header + b"\x10\x00")


@pytest.mark.parametrize("kind", [RESPONSE, LOG])
def test_flatbuffers_refuses_to_encode_an_oversized_frame(monkeypatch, kind):
    from ferrite_wrapper.codec import flatbuffers as flatbuffers_codec

    monkeypatch.setattr(flatbuffers_codec, "MAX_FRAME_LEN", 50)
    with pytest.raises(FrameTooLarge):
        FlatbuffersCodec().encode(kind, {"body": b"x" * 60, "message": "x" * 60})


def test_flatbuffers_refuses_non_finite_log_fields():
    with pytest.raises(ValueError):
        FlatbuffersCodec().encode(LOG, {"message": "m", "fields": {"x": float("nan")}})


def _buffer_of(kind: int, payload: dict) -> bytearray:
    return bytearray(FlatbuffersProcessorCodec().encode(kind, payload)[4:])


def _with_kind(kind: int) -> bytearray:
    """A Frame whose union says ``kind`` over an empty table."""
    builder = flatbuffers.Builder(64)
    wire.PingStart(builder)
    table = wire.PingEnd(builder)
    wire.FrameStart(builder)
    wire.FrameAddMessageType(builder, kind)
    if kind:
        wire.FrameAddMessage(builder, table)
    builder.Finish(wire.FrameEnd(builder), file_identifier=b"FRT1")
    return bytearray(builder.Output())


def _event_table(buffer: bytearray) -> int:
    return wire.Frame.GetRootAs(buffer, 0).Message().Pos


def _event_field(buffer: bytearray, slot: int) -> int:
    """Where the event's field at vtable ``slot`` is stored in ``buffer``."""
    union = wire.Frame.GetRootAs(buffer, 0).Message()
    return union.Pos + union.Offset(slot)


def _patched(buffer: bytearray, at: int, fmt: str, value: int) -> bytearray:
    struct.pack_into(fmt, buffer, at, value)
    return buffer


def _vector_length_at(buffer: bytearray, slot: int) -> int:
    at = _event_field(buffer, slot)
    return at + struct.unpack_from("<I", buffer, at)[0]


MALFORMED = {
    "too short for a buffer": (b"\x04\x00\x00", "cannot hold a buffer"),
    "another identifier": (b"\x08\x00\x00\x00FRT2", "identifier is b'FRT2'"),
    "no message": (_with_kind(0), "unknown message kind 0"),
    "unknown kind": (_with_kind(42), "unknown message kind 42"),
    "a kind the wrapper sends": (
        _buffer_of(RESPONSE, {"id": 1, "status": 200}),
        "unexpected response message from the processor",
    ),
    "root past the end": (b"\xff\xff\x00\x00FRT1", "malformed flatbuffers frame"),
    "truncated event": (
        _buffer_of(EVENT, SAMPLES[EVENT])[:200],
        "malformed (event message|flatbuffers frame)",
    ),
    "body past the end": (
        (lambda b: _patched(b, _vector_length_at(b, 20), "<I", 1 << 30))(
            _buffer_of(EVENT, SAMPLES[EVENT])
        ),
        "malformed event message: a vector runs",
    ),
    "method past the end": (
        (lambda b: _patched(b, _vector_length_at(b, 8), "<I", 1 << 20))(
            _buffer_of(EVENT, SAMPLES[EVENT])
        ),
        "malformed event message: a vector runs",
    ),
    "method not UTF-8": (
        (lambda b: _patched(b, _vector_length_at(b, 8) + 4, "<B", 0xFF))(
            _buffer_of(EVENT, SAMPLES[EVENT])
        ),
        "malformed event message: 'utf-8' codec",
    ),
    "vtable before the buffer": (
        (lambda b: _patched(b, _event_table(b), "<i", 1 << 20))(
            _buffer_of(EVENT, {"id": 1})
        ),
        "malformed event message: a vtable offset points",
    ),
}


@pytest.mark.parametrize(("buffer", "error"), MALFORMED.values(), ids=list(MALFORMED))
def test_flatbuffers_malformed(buffer, error):
    frame = struct.pack(">I", len(buffer)) + bytes(buffer)
    with pytest.raises(ProtocolError, match=error):
        FlatbuffersCodec().decode(frame)


# -- json golden bytes and errors ------------------------------------------------


def test_json_wire_bytes():
    codec = JsonCodec()
    assert codec.encode(READY, {}) == b'{"kind":"ready"}\n'
    assert (
        codec.encode(RESPONSE, {"id": 1, "body": b"\xff\x00", "error": "é\n"})
        # Bin fields go last: they are spliced in after the rest is encoded.
        == b'{"kind":"response","id":1,"error":"\xc3\xa9\\n","body":"/wA="}\n'
    )


def test_json_accepts_crlf_and_null_body():
    codec = JsonCodec()
    line = b'{"kind":"event","id":1,"body":null}\r\n'
    assert codec.decode(line) == ([(EVENT, {"id": 1, "body": None})], len(line))


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (b"\n", "empty frame"),
        (b"   \n", "empty frame"),
        (b"not json\n", "malformed json"),
        (b"[1,2]\n", "not an object"),
        (b'{"nonce":1}\n', "unknown message kind None"),
        (b'{"kind":"bogus"}\n', "unknown message kind 'bogus'"),
        (b'{"kind":4}\n', "unknown message kind 4"),
        (b'{"kind":"event","id":1,"body":"!!!"}\n', "body is not valid base64"),
        (b'{"kind":"event","id":1,"body":"abc"}\n', "body is not valid base64"),
        (b'{"kind":"event","id":1,"body":5}\n', "body is not a string"),
        (b'{"kind":"ping","nonce":1\n', "malformed json"),
    ],
)
def test_json_malformed(line, error):
    with pytest.raises(ProtocolError, match=error):
        JsonCodec().decode(line)


def test_json_oversized_line_is_an_error_before_its_newline(monkeypatch):
    monkeypatch.setattr(json_codec, "MAX_FRAME_LEN", 10)
    codec = JsonCodec()
    assert codec.decode(b'{"kind":') == ([], 0)
    with pytest.raises(FrameTooLarge):
        codec.decode(b'{"kind":"ping","nonce":1')


def test_json_refuses_non_finite_numbers():
    with pytest.raises(ValueError):
        JsonCodec().encode(METRIC, {"name": "x", "value": float("nan")})


def test_codec_for():
    assert isinstance(codec_for("msgpack"), MsgpackCodec)
    assert isinstance(codec_for("json"), JsonCodec)
    assert isinstance(codec_for("flatbuffers"), FlatbuffersCodec)
    with pytest.raises(ValueError, match="unknown codec 'protobuf'"):
        codec_for("protobuf")
