"""Micro-benchmark of a codec's part of one event in the wrapper: decoding the event's
frame (down to the ``bytes`` body the SDK's event holds) and encoding the response that
echoes its body, in-process, per codec and body size.

``flatbuffers-generated`` does the same two steps with nothing but the generated code
and the runtime (its accessors; its ``Builder``, reused): the measurement behind the
flatbuffers codec's own event reader and response writer.

    python3 benchmarks/bench_codec.py [--sizes 64,65536] [--events N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import platform
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, ".."))

import flatbuffers  # noqa: E402

from ferrite_wrapper.codec import codec_for  # noqa: E402
from ferrite_wrapper.codec import wire_generated as wire  # noqa: E402
from ferrite_wrapper.protocol import EVENT, RESPONSE  # noqa: E402
from processor_codec import processor_codec_for  # noqa: E402

_LENGTH = struct.Struct(">I")


def event(body: bytes) -> dict:
    """An event as bench/'s load generator makes them (bench_worker.py's too)."""
    return {
        "id": 12345,
        "trigger": {"kind": "http", "name": "web"},
        "method": "GET",
        "path": "/",
        "url": "/",
        "query": {},
        "headers": {"host": "127.0.0.1:8080", "user-agent": "wrk"},
        "content_type": "application/octet-stream",
        "body": body,
        "timestamp": 1_700_000_000_000,
        "deadline": 0,
    }


def response(body: bytes) -> dict:
    return {
        "id": 12345,
        "status": 200,
        "headers": {},
        "content_type": "application/octet-stream",
        "body": body,
    }


class GeneratedOnly:
    """The flatbuffers codec's two hot steps written with the generated code only."""

    name = "flatbuffers"

    def __init__(self) -> None:
        self.builder = flatbuffers.Builder(1024)

    def decode(self, data):
        view = memoryview(data)
        frame = wire.Frame.GetRootAs(view, 4)
        union = frame.Message()
        event = wire.Event()
        event.Init(union.Bytes, union.Pos)
        trigger = event.Trigger()
        # No generated accessor hands out the body whole (only a byte at a time, or
        # numpy): the runtime's Table finds it.
        tab = event._tab
        offset = tab.Offset(20)
        start = tab.Vector(offset)
        payload = {
            "id": event.Id(),
            "trigger": {"kind": _text(trigger.Kind()), "name": _text(trigger.Name())},
            "method": _text(event.Method()),
            "path": _text(event.Path()),
            "url": _text(event.Url()),
            "query": _pairs(event.Query, event.QueryLength()),
            "headers": _pairs(event.Headers, event.HeadersLength()),
            "content_type": _text(event.ContentType()),
            "body": view[start : start + tab.VectorLen(offset)],
            "timestamp": event.Timestamp(),
            "deadline": event.Deadline(),
        }
        return [(frame.MessageType(), payload)], len(view)

    def encode(self, kind, payload):
        builder = self.builder
        builder.Clear()
        content_type = builder.CreateString(payload["content_type"])
        body = builder.CreateByteVector(payload["body"])
        wire.ResponseStart(builder)
        wire.ResponseAddId(builder, payload["id"])
        wire.ResponseAddStatus(builder, payload["status"])
        wire.ResponseAddContentType(builder, content_type)
        wire.ResponseAddBody(builder, body)
        message = wire.ResponseEnd(builder)
        wire.FrameStart(builder)
        wire.FrameAddMessageType(builder, kind)
        wire.FrameAddMessage(builder, message)
        builder.Finish(wire.FrameEnd(builder), file_identifier=b"FRT1")
        buffer = builder.Output()
        return _LENGTH.pack(len(buffer)) + buffer


def _text(value):
    return "" if value is None else value.decode("utf-8")


def _pairs(item, count):
    return {_text(item(j).Key()): _text(item(j).Value()) for j in range(count)}


def best(run, events: int, repeat: int) -> float:
    """Microseconds per event, the best of ``repeat`` runs: noise only adds time."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times) / events * 1e6


def measure(name: str, size: int, events: int, repeat: int) -> tuple[float, float]:
    body = bytes(range(256)) * (size // 256) + bytes(size % 256)
    codec = GeneratedOnly() if name == "flatbuffers-generated" else codec_for(name)
    frame = processor_codec_for(codec.name).encode(EVENT, event(body))
    answer = response(body)
    decode, encode = codec.decode, codec.encode

    def decode_all():
        for _ in range(events):
            payload = decode(frame)[0][0][1]
            if type(payload["body"]) is memoryview:
                payload["body"] = payload["body"].tobytes()  # as the worker does

    def encode_all():
        for _ in range(events):
            encode(RESPONSE, answer)

    # Both checked once, so a broken variant cannot look fast.
    decoded = decode(frame)[0][0][1]
    assert (
        bytes(decoded["body"]) == body and decoded["headers"] == event(b"")["headers"]
    )
    reread = processor_codec_for(codec.name).decode(encode(RESPONSE, answer))[0]
    assert reread[0][1]["body"] == body
    return best(decode_all, events, repeat), best(encode_all, events, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="64,65536", help="body sizes, in bytes")
    parser.add_argument("--events", type=int, default=2000, help="events per run")
    parser.add_argument("--repeat", type=int, default=7, help="runs; the best counts")
    parser.add_argument(
        "--codecs", default="msgpack,json,flatbuffers,flatbuffers-generated"
    )
    args = parser.parse_args()
    print(
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{args.events} events a run, best of {args.repeat}, us per event:"
    )
    print(f"  {'codec':<22} {'body':>7} {'decode':>9} {'encode':>9} {'both':>9}")
    for size in (int(s) for s in args.sizes.split(",")):
        for name in args.codecs.split(","):
            decode_us, encode_us = measure(name, size, args.events, args.repeat)
            print(
                f"  {name:<22} {size:>7} {decode_us:>9.2f} {encode_us:>9.2f} "
                f"{decode_us + encode_us:>9.2f}"
            )


if __name__ == "__main__":
    main()
