#!/usr/bin/env python3
"""Writes the golden wire vectors of schemas/testdata/ (see README.md there).

Each vector is one protocol message written three ways: NAME.json (the json codec's
line, which is also the canonical form the others are compared with), NAME.msgpack (the
msgpack frame without its length prefix: the kind byte, then the map) and NAME.fb (the
FlatBuffers buffer of one frame, without its length prefix).

The vectors are committed; run this only to add or change one, then make every
language's tests pass against the result. It needs the msgpack and flatbuffers packages
(scripts/install-deps installs both) and uses the Python tables that scripts/gen-wire
generates. Writing is deterministic: running it twice gives the same bytes.
"""

import base64
import json
import pathlib
import sys

import flatbuffers
import msgpack

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "wrappers" / "python" / "ferrite_wrapper" / "codec"))
import wire_generated as fb  # noqa: E402  (generated; found through the path above)

KIND_CODES = {
    "hello": 1,
    "ready": 2,
    "init_error": 3,
    "event": 4,
    "response": 5,
    "log": 6,
    "metric": 7,
    "ping": 8,
    "pong": 9,
    "shutdown": 10,
}

# The fields of each message in schemas/wire.fbs order, with their wire types.
FIELDS = {
    "hello": [
        ("protocol", "u32"),
        ("token", "str"),
        ("runtime", "str"),
        ("runtime_version", "str"),
        ("pid", "u32"),
        ("concurrency", "u32"),
    ],
    "ready": [],
    "init_error": [("message", "str"), ("detail", "str")],
    "event": [
        ("id", "u64"),
        ("trigger", "trigger"),
        ("method", "str"),
        ("path", "str"),
        ("url", "str"),
        ("query", "pairs"),
        ("headers", "pairs"),
        ("content_type", "str"),
        ("body", "bin"),
        ("timestamp", "u64"),
        ("deadline", "u64"),
    ],
    "response": [
        ("id", "u64"),
        ("status", "u32"),
        ("headers", "pairs"),
        ("content_type", "str"),
        ("body", "bin"),
        ("error", "str"),
    ],
    "log": [("id", "u64"), ("level", "str"), ("message", "str"), ("fields", "json")],
    "metric": [("name", "str"), ("value", "f64"), ("labels", "pairs")],
    "ping": [("nonce", "u64")],
    "pong": [("nonce", "u64")],
    "shutdown": [],
}

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

EVERY_BYTE = bytes(range(256))
MIB = EVERY_BYTE * 4096  # 1 MiB; every byte value, in a pattern git packs small

HTTP = {"kind": "http", "name": "web"}


def vectors():
    """(name, message) pairs; a message is a dict of the fields it sets, body as bytes."""
    yield "hello", {
        "kind": "hello",
        "protocol": 1,
        "token": "9f86d081884c7d65",
        "runtime": "python",
        "runtime_version": "3.11.7",
        "pid": 4242,
        "concurrency": 1,
    }
    yield "hello-large-numbers", {
        "kind": "hello",
        "protocol": 1,
        "token": "",
        "runtime": "nodejs",
        "runtime_version": "v20.19.2",
        "pid": 4294967295,
        "concurrency": 64,
    }
    yield "ready", {"kind": "ready"}
    yield "init-error", {
        "kind": "init_error",
        "message": "ModuleNotFoundError: No module named 'main'",
        "detail": 'Traceback (most recent call last):\n  File "wrapper.py", line 1\n',
    }
    yield "init-error-no-detail", {"kind": "init_error", "message": "handler not found"}
    yield "event", {
        "kind": "event",
        "id": 1,
        "trigger": HTTP,
        "method": "POST",
        "path": "/a/b",
        "url": "/a/b?x=1&y=",
        "query": {"x": "1", "y": ""},
        "headers": {"content-type": "text/plain", "x-request-id": "abc"},
        "content_type": "text/plain",
        "body": b"hello",
        "timestamp": 1733500000000,
        "deadline": 1733500030000,
    }
    yield "event-empty-body", {
        "kind": "event",
        "id": 2,
        "trigger": HTTP,
        "method": "GET",
        "path": "/",
        "url": "/",
        "query": {},
        "headers": {},
        "content_type": "",
        "body": b"",
        "timestamp": 0,
        "deadline": 0,
    }
    yield "event-absent-optionals", {
        "kind": "event",
        "id": 3,
        "method": "GET",
        "path": "/",
        "url": "/",
    }
    yield "event-every-byte", {
        "kind": "event",
        "id": 4,
        "trigger": HTTP,
        "method": "PUT",
        "path": "/bytes",
        "url": "/bytes",
        "headers": {"content-type": "application/octet-stream"},
        "content_type": "application/octet-stream",
        "body": EVERY_BYTE,
        "timestamp": 1733500000000,
        "deadline": 0,
    }
    yield "event-non-ascii", {
        "kind": "event",
        "id": 9007199254740991,  # 2^53 - 1, the largest id the protocol allows
        "trigger": {"kind": "http", "name": "wéb ☃"},
        "method": "POST",
        "path": "/caf\u00e9/\u65e5\u672c",
        "url": "/caf%C3%A9/%E6%97%A5%E6%9C%AC?q=%F0%9F%A6%80",
        "query": {"q": "\U0001f980"},
        "headers": {"x-gr\u00f6\u00dfe": "na\u00efve \u2603", "x-emoji-\U0001f600": "\U0001f980 \u00e9"},
        "content_type": "text/plain; charset=utf-8",
        "body": "ünïcødé ☃ \U0001f980".encode(),
        "timestamp": 9007199254740991,
        "deadline": 9007199254740991,
    }
    yield "event-1mib", {
        "kind": "event",
        "id": 5,
        "trigger": HTTP,
        "method": "POST",
        "path": "/big",
        "url": "/big",
        "headers": {"content-type": "application/octet-stream"},
        "content_type": "application/octet-stream",
        "body": MIB,
        "timestamp": 1733500000000,
        "deadline": 1733500030000,
    }
    yield "response", {
        "kind": "response",
        "id": 1,
        "status": 200,
        "headers": {"x-handled-by": "python"},
        "content_type": "text/plain",
        "body": b"hello",
    }
    yield "response-absent-optionals", {"kind": "response", "id": 2, "status": 204}
    yield "response-error", {
        "kind": "response",
        "id": 3,
        "status": 500,
        "content_type": "text/plain; charset=utf-8",
        "body": b"ZeroDivisionError: division by zero",
        "error": "ZeroDivisionError: division by zero",
    }
    yield "response-every-byte-non-ascii", {
        "kind": "response",
        "id": 4,
        "status": 299,
        "headers": {"x-\u00fcber": "gr\u00fc\u00df \u2603"},
        "content_type": "application/octet-stream",
        "body": EVERY_BYTE,
    }
    yield "response-1mib", {
        "kind": "response",
        "id": 5,
        "status": 200,
        "content_type": "application/octet-stream",
        "body": MIB,
    }
    yield "log", {
        "kind": "log",
        "id": 7,
        "level": "info",
        "message": "handled \u2603",
        "fields": {
            "user": "ana",
            "count": 3,
            "ratio": 0.5,
            "ok": True,
            "nothing": None,
            "tags": ["a", 1],
            "nested": {"k": "v"},
        },
    }
    yield "log-absent-optionals", {"kind": "log", "level": "warn", "message": "outside events"}
    yield "metric", {
        "kind": "metric",
        "name": "orders_total",
        "value": 2.5,
        "labels": {"shop": "caf\u00e9"},
    }
    yield "metric-absent-optionals", {"kind": "metric", "name": "ticks", "value": -1.0}
    yield "ping", {"kind": "ping", "nonce": 0}
    yield "pong", {"kind": "pong", "nonce": 9007199254740991}
    yield "shutdown", {"kind": "shutdown"}


def to_json(message):
    """The json codec's line: bodies in base64, one line, ending in a newline."""
    out = {k: base64.b64encode(v).decode() if k == "body" else v for k, v in message.items()}
    return json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n"


def to_msgpack(message):
    kind = message["kind"]
    payload = {k: v for k, v in message.items() if k != "kind"}
    return bytes([KIND_CODES[kind]]) + msgpack.packb(payload, use_bin_type=True)


def to_flatbuffers(message):
    kind = message["kind"]
    table = TABLES[kind]
    builder = flatbuffers.Builder(1024)
    refs = {}
    # Strings, vectors and sub-tables first: a table's fields are added between its
    # Start and End, and nothing else may be built in between.
    for name, wire in FIELDS[kind]:
        if name not in message:
            continue
        value = message[name]
        if wire == "str":
            refs[name] = builder.CreateString(value)
        elif wire == "json":
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            refs[name] = builder.CreateString(text)
        elif wire == "bin":
            refs[name] = builder.CreateByteVector(value)
        elif wire == "pairs":
            refs[name] = pairs(builder, table, name, value)
        elif wire == "trigger":
            kind_ref = builder.CreateString(value["kind"])
            name_ref = builder.CreateString(value["name"])
            fb.TriggerStart(builder)
            fb.TriggerAddKind(builder, kind_ref)
            fb.TriggerAddName(builder, name_ref)
            refs[name] = fb.TriggerEnd(builder)
    getattr(fb, f"{table}Start")(builder)
    for name, wire in FIELDS[kind]:
        if name not in message:
            continue
        add = getattr(fb, f"{table}Add{camel(name)}")
        add(builder, refs[name] if name in refs else message[name])
    body = getattr(fb, f"{table}End")(builder)
    fb.FrameStart(builder)
    fb.FrameAddMessageType(builder, KIND_CODES[kind])
    fb.FrameAddMessage(builder, body)
    builder.Finish(fb.FrameEnd(builder), file_identifier=b"FRT1")
    return bytes(builder.Output())


def pairs(builder, table, field, mapping):
    offsets = []
    for key, value in mapping.items():
        key_ref = builder.CreateString(key)
        value_ref = builder.CreateString(value)
        fb.PairStart(builder)
        fb.PairAddKey(builder, key_ref)
        fb.PairAddValue(builder, value_ref)
        offsets.append(fb.PairEnd(builder))
    getattr(fb, f"{table}Start{camel(field)}Vector")(builder, len(offsets))
    for offset in reversed(offsets):  # vectors are built back to front
        builder.PrependUOffsetTRelative(offset)
    return builder.EndVector()


def camel(name):
    return "".join(part.capitalize() for part in name.split("_")).replace("Fields", "FieldsJson")


def main():
    names = []
    for name, message in vectors():
        (HERE / f"{name}.json").write_text(to_json(message), encoding="utf-8")
        (HERE / f"{name}.msgpack").write_bytes(to_msgpack(message))
        (HERE / f"{name}.fb").write_bytes(to_flatbuffers(message))
        names.append(name)
    print(f"wrote {len(names)} vectors: {', '.join(names)}")


if __name__ == "__main__":
    main()
