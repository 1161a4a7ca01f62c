"""Codec conformance: every message kind round-trips in both codecs, partial frames are
"need more", and malformed input is a clear error. Golden bytes pin the wire format."""

from __future__ import annotations

import struct

import msgpack
import pytest

from ferrite_wrapper import protocol
from ferrite_wrapper.codec import JsonCodec, MsgpackCodec, codec_for
from ferrite_wrapper.codec import json as json_codec
from ferrite_wrapper.codec import msgpack as msgpack_codec
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


@pytest.mark.parametrize("kind", sorted(SAMPLES), ids=lambda k: KIND_NAMES[k])
def test_round_trip(codec, kind):
    frame = codec.encode(kind, SAMPLES[kind])
    assert codec.decode(frame) == ([(kind, SAMPLES[kind])], len(frame))


def test_many_frames_in_one_buffer(codec):
    frames = [codec.encode(kind, payload) for kind, payload in SAMPLES.items()]
    data = b"".join(frames)
    messages, used = codec.decode(data)
    assert messages == list(SAMPLES.items())
    assert used == len(data)


def test_every_truncation_needs_more(codec):
    first = codec.encode(PING, {"nonce": 1})
    second = codec.encode(EVENT, SAMPLES[EVENT])
    for cut in range(len(second)):
        # Fresh codecs: the json one remembers how far it scanned its buffer.
        assert codec_for(codec.name).decode(second[:cut]) == ([], 0)
        assert codec_for(codec.name).decode(first + second[:cut]) == (
            [(PING, {"nonce": 1})],
            len(first),
        )


def test_frame_arriving_in_pieces(codec):
    """The connection's use: append what arrived, decode, drop what was used."""
    frame = codec.encode(EVENT, dict(SAMPLES[EVENT], body=b"\x00" * 100_000))
    buffer = bytearray()
    got = []
    for start in range(0, len(frame), 4096):
        buffer += frame[start : start + 4096]
        messages, used = codec.decode(buffer)
        del buffer[:used]
        got.extend(messages)
    assert got == [(EVENT, dict(SAMPLES[EVENT], body=b"\x00" * 100_000))]
    assert not buffer


def test_decodes_from_memoryview(codec):
    frame = codec.encode(PING, {"nonce": 9})
    assert codec.decode(memoryview(frame)) == ([(PING, {"nonce": 9})], len(frame))


def test_unknown_keys_are_kept_for_the_reader_to_ignore(codec):
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
    with pytest.raises(ValueError, match="unknown codec 'flatbuffers'"):
        codec_for("flatbuffers")
