"""Benchmark of the wrapper's CPU per event over a real transport, end to end.

Starts the real ``wrapper.py`` (under this interpreter) through the tests' stand-in
processor, keeps ``--window`` empty events in flight for ``--events`` events, and
reports the wrapper process's CPU time (user + system, from ``/proc``, from its
``ready`` to its last response) and the wall time per event; the stand-in's own CPU is
not counted.

    python3 benchmarks/bench_transport.py [--transport unix|tcp|shm] [--codec C]
                                          [--events N] [--window W] [--spin MICROS]

``--spin`` is ``FERRITE_SPIN_MICROS`` for shm (both sides): CPU a side spends
re-checking an empty ring before it sleeps counts too.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "sdk-python" / "src"))

from fake_processor import FakeProcessor, event_payload
from ferrite_wrapper.protocol import EVENT, READY, RESPONSE, SHUTDOWN


def cpu_seconds(pid: int) -> float:
    """User plus system time of a live process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transport", default="unix", choices=["unix", "tcp", "shm"])
    parser.add_argument(
        "--codec", default="msgpack", choices=["msgpack", "json", "flatbuffers"]
    )
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--window", type=int, default=8, help="events in flight")
    parser.add_argument("--spin", type=int, default=0, help="FERRITE_SPIN_MICROS")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as function_dir:
        Path(function_dir, "main.py").write_text(
            "def handler(context, event):\n    return ''\n"
        )
        with FakeProcessor(
            Path(function_dir),
            transport=args.transport,
            codec=args.codec,
            log_level="warn",
            spin_micros=args.spin,
        ) as fake:
            while fake.receive()[0] != READY:
                pass
            encode = fake.conn.codec.encode
            frames = [encode(EVENT, event_payload(i)) for i in range(args.window)]
            cpu_before = cpu_seconds(fake.process.pid)
            started = time.perf_counter()
            answered = 0
            while answered < args.events:
                for frame in frames:
                    fake.conn.queue(frame)
                fake.conn.flush()
                for _ in frames:
                    kind, _ = fake.receive()
                    assert kind == RESPONSE
                answered += len(frames)
            wall = time.perf_counter() - started
            cpu = cpu_seconds(fake.process.pid) - cpu_before
            fake.send(SHUTDOWN, {})
            assert fake.wait() == 0
    per = 1e6 / answered
    print(
        f"{sys.implementation.name} {args.transport} {args.codec} spin {args.spin} us, "
        f"{answered} events, {args.window} in flight: wrapper CPU {cpu * per:.1f} "
        f"us/event, wall {wall * per:.1f} us/event"
    )


if __name__ == "__main__":
    main()
