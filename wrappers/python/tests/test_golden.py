"""The golden wire vectors of ``schemas/testdata`` (its README says what to do with
them), in every codec: each vector decodes to its JSON, and the JSON's message encoded
and decoded again is the same message.

The flatbuffers codec reads only what the processor sends (event, ping, shutdown) and
writes only the rest. So for the kinds the wrapper sends, step 1 reads the vector with
the generated code (``processor_codec.py``) and step 2 reads the codec's own bytes with
it; for the kinds the processor sends, step 1 is the codec's and step 2 writes with the
generated code for the codec to read. json and msgpack do both steps for every kind.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from pathlib import Path

import pytest

from ferrite_wrapper.codec import codec_for, msgpack_unpack
from ferrite_wrapper.codec import msgpack as msgpack_codec
from ferrite_wrapper.protocol import EVENT, KIND_CODES, KIND_NAMES, PING, SHUTDOWN
from processor_codec import processor_codec_for

VECTORS = Path(__file__).resolve().parents[3] / "schemas" / "testdata"
NAMES = sorted(path.stem for path in VECTORS.glob("*.json"))

#: msgpack twice: msgpack's C decoder, and the codec's own reader that PyPy uses.
CODECS = ["json", "msgpack", "msgpack-own-decoder", "flatbuffers"]

FROM_PROCESSOR = (EVENT, PING, SHUTDOWN)

#: Every field of every message and what it reads as when absent; None: an optional
#: field, absent stays absent.
DEFAULTS: dict[str, dict] = {
    "hello": {
        "protocol": 0,
        "token": "",
        "runtime": "",
        "runtime_version": "",
        "pid": 0,
        "concurrency": 0,
    },
    "ready": {},
    "init_error": {"message": "", "detail": None},
    "event": {
        "id": 0,
        "trigger": {},
        "method": "",
        "path": "",
        "url": "",
        "query": {},
        "headers": {},
        "content_type": "",
        "body": b"",
        "timestamp": 0,
        "deadline": 0,
    },
    "response": {
        "id": 0,
        "status": 0,
        "headers": {},
        "content_type": "",
        "body": b"",
        "error": None,
    },
    "log": {"id": None, "level": "", "message": "", "fields": {}},
    "metric": {"name": "", "value": 0.0, "labels": {}},
    "ping": {"nonce": 0},
    "pong": {"nonce": 0},
    "shutdown": {},
}

#: Each vector file's framing on the wire: the files lack the length prefix.
FRAMING = {
    "json": ("json", lambda data: data),
    "msgpack": ("msgpack", lambda data: struct.pack(">I", len(data)) + data),
    "flatbuffers": ("fb", lambda data: struct.pack(">I", len(data)) + data),
}


@pytest.fixture(params=CODECS)
def codec_name(request, monkeypatch) -> str:
    if request.param == "msgpack-own-decoder":
        monkeypatch.setattr(msgpack_codec, "unpack_payload", msgpack_unpack.unpack)
        return "msgpack"
    return request.param


def canonical(name: str) -> tuple[int, dict]:
    """The message ``NAME.json`` describes, bodies as bytes."""
    line = (VECTORS / f"{name}.json").read_text(encoding="utf-8")
    message = json.loads(line)
    kind = KIND_CODES[message.pop("kind")]
    if "body" in message:
        message["body"] = base64.b64decode(message["body"], validate=True)
    return kind, message


def normalised(kind: int, payload: dict) -> dict:
    """Every field of the message, a missing or null one as its default; bodies as
    bytes. A field outside the protocol's is an error, not something to ignore."""
    fields = DEFAULTS[KIND_NAMES[kind]]
    unknown = set(payload) - set(fields)
    assert not unknown, f"fields the protocol does not have: {unknown}"
    out = {}
    for field, default in fields.items():
        value = payload.get(field)
        if value is None:
            if default is None:
                continue
            value = default
        if isinstance(value, (bytes, bytearray, memoryview)):
            value = bytes(value)
        out[field] = value
    return out


def decode_one(decoder, frame: bytes) -> tuple[int, dict]:
    messages, used = decoder.decode(frame)
    assert used == len(frame), "the frame was not read to its end"
    assert len(messages) == 1
    return messages[0]


def test_the_vectors_are_there():
    """Fails, rather than skipping every case, when the vectors are not found."""
    assert VECTORS.is_dir(), f"no golden vectors at {VECTORS}"
    kinds = {canonical(name)[0] for name in NAMES}
    assert kinds == set(KIND_NAMES), "some message kind has no vector"
    for name in NAMES:
        for extension in ("msgpack", "fb"):
            assert (VECTORS / f"{name}.{extension}").is_file(), f"{name}.{extension}"


@pytest.mark.parametrize("name", NAMES)
def test_decode_vector(codec_name, name):
    kind, expected = canonical(name)
    extension, frame_of = FRAMING[codec_name]
    frame = frame_of((VECTORS / f"{name}.{extension}").read_bytes())
    reader = codec_for(codec_name)
    if codec_name == "flatbuffers" and kind not in FROM_PROCESSOR:
        reader = processor_codec_for(codec_name)  # the generated code
    got_kind, got = decode_one(reader, frame)
    assert got_kind == kind
    assert normalised(kind, got) == normalised(kind, expected)


@pytest.mark.parametrize("name", NAMES)
def test_encode_vector(codec_name, name):
    kind, message = canonical(name)
    writer = reader = codec_for(codec_name)
    if codec_name == "flatbuffers":
        if kind in FROM_PROCESSOR:
            writer = processor_codec_for(codec_name)
        else:
            reader = processor_codec_for(codec_name)
    got_kind, got = decode_one(reader, writer.encode(kind, dict(message)))
    assert got_kind == kind
    assert normalised(kind, got) == normalised(kind, message)


def test_normalised_tells_messages_apart():
    """The comparison is not vacuous: a changed field, a missing optional one, a
    different body or an extra field make messages differ (or fail)."""
    kind, message = canonical("response-error")
    base = normalised(kind, message)
    assert normalised(kind, dict(message, status=501)) != base
    assert normalised(kind, {k: v for k, v in message.items() if k != "error"}) != base
    assert normalised(kind, dict(message, body=message["body"] + b"!")) != base
    with pytest.raises(AssertionError, match="fields the protocol does not have"):
        normalised(kind, dict(message, stray=1))
    metric_kind, metric = canonical("metric")
    assert not math.isclose(metric["value"], 0.0)
    assert normalised(metric_kind, {}) != normalised(metric_kind, metric)
