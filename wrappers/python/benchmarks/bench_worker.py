"""Micro-benchmark of the wrapper's own cost per event, in-process, no sockets.

Builds N empty event frames as the processor would, then times the wrapper's part:
decoding them in pipelined batches and running each through ``Worker.handle_event``
(event object, handler call, return-value conversion, response encoding).

    python3 benchmarks/bench_worker.py [--codec msgpack|json|flatbuffers] [--events N]
                                       [--batch B] [--body-size BYTES]

With ``--body-size`` the events carry a body of that many bytes and the handler echoes
it, as bench/functions/python-echo does.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

# As the processor runs the wrapper: the SDK's directory and its own on the path.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../sdk-python/src"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
# The processor's side of each codec (the flatbuffers codec writes no events).
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

from ferrite_wrapper.codec import CODECS, codec_for
from ferrite_wrapper.config import Config
from ferrite_wrapper.protocol import EVENT
from ferrite_wrapper.worker import Worker
from processor_codec import processor_codec_for


class _NoConnection:
    """Stands in for a Connection: the worker only needs its codec here."""

    def __init__(self, codec):
        self.codec = codec

    def send(self, frame):
        pass


def _event(event_id: int, body: bytes) -> dict:
    return {
        "id": event_id,
        "trigger": {"kind": "http", "name": "web"},
        "method": "GET",
        "path": "/",
        "url": "/",
        "query": {},
        "headers": {"host": "127.0.0.1:8080", "user-agent": "wrk"},
        "content_type": "application/octet-stream" if body else "",
        "body": body,
        "timestamp": 1_700_000_000_000 + event_id,
        "deadline": 0,
    }


def _best(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codec", default="msgpack", choices=list(CODECS))
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=8, help="events per read")
    parser.add_argument("--repeat", type=int, default=5, help="runs; the best counts")
    parser.add_argument("--body-size", type=int, default=0, help="body bytes, echoed")
    args = parser.parse_args()

    processor = processor_codec_for(args.codec)
    wrapper = codec_for(args.codec)
    config = Config(
        "unix", "-", args.codec, "", "main:handler", ".", "bench", 0, "info"
    )
    worker = Worker(_NoConnection(wrapper), config)
    body = bytes(range(256)) * (args.body_size // 256) + bytes(args.body_size % 256)
    if body:
        worker.handler = lambda context, event: event.body
    else:
        worker.handler = lambda context, event: ""

    started = time.perf_counter()
    frames = [processor.encode(EVENT, _event(i, body)) for i in range(args.events)]
    encode_s = time.perf_counter() - started
    reads = [
        b"".join(frames[i : i + args.batch]) for i in range(0, len(frames), args.batch)
    ]

    # Like Worker.loop: decode one read, handle its events, drop them, next read.
    decode = wrapper.decode
    handle = worker.handle_event

    def decode_only() -> None:
        for read in reads:
            decode(read)

    def decode_and_handle() -> None:
        answered = 0
        for read in reads:
            answered += len([handle(payload) for _, payload in decode(read)[0]])
        assert answered == args.events

    # The best of several runs: on a shared machine the noise only ever adds time.
    decode_s = _best(decode_only, args.repeat)
    total_s = _best(decode_and_handle, args.repeat)
    handle_s = total_s - decode_s

    per = 1e6 / args.events
    print(
        f"{args.codec}, {args.events} events of {len(body)} bytes, "
        f"{args.batch} per read, best of {args.repeat}:"
    )
    print(
        f"  processor-side encode  {encode_s * per:6.2f} us/event (not the wrapper's)"
    )
    print(f"  wrapper decode         {decode_s * per:6.2f} us/event")
    print(f"  wrapper handle+encode  {handle_s * per:6.2f} us/event (total - decode)")
    print(f"  wrapper total          {total_s * per:6.2f} us/event")


if __name__ == "__main__":
    main()
