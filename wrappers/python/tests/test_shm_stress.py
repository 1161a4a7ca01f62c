"""The shm transport against the Rust rings: the wrapper's side of a checked exchange of
test frames with ``ring-peer`` (crate ``ferrite-ring``; ``cargo build -p ferrite-ring
--bins``), each side writing and reading at once with random pauses, so that both sleep
and are woken. ``FERRITE_RING_STRESS_FRAMES`` sets the count each way (default 20,000).

A test frame: u32 LE payload length L, u64 LE sequence number, u32 LE FNV-1a-32 of the
payload, then the L payload bytes; L from 0 to twice the ring's capacity.
"""

from __future__ import annotations

import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from ferrite_wrapper.config import Config
from ferrite_wrapper.transport import connect

REPO = Path(__file__).resolve().parents[3]
FRAMES = int(os.environ.get("FERRITE_RING_STRESS_FRAMES", "20000"))
#: (ring capacity, FERRITE_SPIN_MICROS): small rings, so that frames wrap and overflow
#: them and both sides often sleep; the smallest ring without spinning, so that the
#: wrapper's reading and writing threads sleep on the one doorbell socket at once.
RUNS = [(1024, 20), (64, 0)]
HEADER = struct.Struct("<IQI")
#: A watchdog: ring-peer has its own, this one covers the wrapper's side.
TIMEOUT = 60 + FRAMES / 500


def fnv1a32(data) -> int:
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def ring_peer() -> Path | None:
    """The newest ring-peer built in the workspace, if any."""
    built = [
        REPO / "target" / profile / "ring-peer"
        for profile in ("release", "debug")
        if (REPO / "target" / profile / "ring-peer").exists()
    ]
    return max(built, key=lambda p: p.stat().st_mtime, default=None)


class Sender:
    """Writes FRAMES test frames, several per write at times, with random pauses.

    Payloads are slices of a few random blocks, whose prefix checksums are computed
    once: checksumming every payload in Python would make the sender, not the rings,
    what this measures."""

    def __init__(self, transport, seed: int, capacity: int) -> None:
        self.transport = transport
        self.rng = random.Random(seed)
        self.capacity = capacity
        self.blocks = [self.rng.randbytes(2 * capacity) for _ in range(16)]
        self.sums = []
        for block in self.blocks:
            sums, value = [0x811C9DC5], 0x811C9DC5
            for byte in block:
                value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
                sums.append(value)
            self.sums.append(sums)

    def run(self) -> None:
        rng = self.rng
        sequence = 0
        while sequence < FRAMES:
            batch = []
            for _ in range(min(rng.choice((1, 1, 1, 4)), FRAMES - sequence)):
                which = rng.randrange(len(self.blocks))
                length = rng.randint(0, 2 * self.capacity)
                batch.append(HEADER.pack(length, sequence, self.sums[which][length]))
                batch.append(self.blocks[which][:length])
                sequence += 1
            self.transport.write(b"".join(batch))
            if rng.randrange(32) == 0:
                time.sleep(rng.random() * 150e-6)


class Receiver:
    """Reads and checks FRAMES test frames, with random pauses; then the end."""

    def __init__(self, transport, seed: int, capacity: int) -> None:
        self.transport = transport
        self.rng = random.Random(seed)
        self.capacity = capacity
        self.received = 0
        self.saw_end = False

    def run(self) -> None:
        buffer = bytearray(1 << 16)
        view = memoryview(buffer)
        pending = bytearray()
        rng = self.rng
        while True:
            count = self.transport.read_into(view)
            if count == 0:
                assert self.received == FRAMES, f"the end after {self.received} frames"
                assert not pending, f"{len(pending)} bytes of a frame at the end"
                self.saw_end = True
                return
            pending += view[:count]
            used = 0
            while len(pending) - used >= HEADER.size:
                length, sequence, checksum = HEADER.unpack_from(pending, used)
                end = used + HEADER.size + length
                if end > len(pending):
                    break
                assert length <= 2 * self.capacity, (
                    f"frame {self.received}: length {length}"
                )
                assert sequence == self.received, (
                    f"frame {self.received} came with sequence number {sequence}"
                )
                payload = memoryview(pending)[used + HEADER.size : end]
                assert fnv1a32(payload) == checksum, f"frame {sequence}: bad checksum"
                payload.release()
                self.received += 1
                used = end
            del pending[:used]
            if rng.randrange(32) == 0:
                time.sleep(rng.random() * 150e-6)


@pytest.mark.skipif(
    ring_peer() is None,
    reason="ring-peer is not built (cargo build -p ferrite-ring --bins; scripts/test "
    "builds it before these tests)",
)
@pytest.mark.parametrize(("capacity", "spin_micros"), RUNS)
def test_stress_against_ring_peer(capacity, spin_micros):
    seed = 17
    directory = tempfile.mkdtemp(prefix="ferrite-ring-", dir="/tmp")
    peer = subprocess.Popen(
        [
            str(ring_peer()),
            "--dir",
            directory,
            "--capacity",
            str(capacity),
            "--frames",
            str(FRAMES),
            "--seed",
            str(seed),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started = time.monotonic()
    try:
        word, segment, socket_path = peer.stdout.readline().split()
        assert word == "ready"
        config = Config(
            "shm",
            socket_path,
            "msgpack",
            "",
            "",
            "",
            "",
            0,
            "info",
            segment,
            spin_micros,
        )
        transport = connect("shm", socket_path, config)
        sender = Sender(transport, seed + 1, capacity)
        receiver = Receiver(transport, seed + 2, capacity)
        failures = []

        def guarded(run):
            try:
                run()
            except BaseException as exc:
                failures.append(exc)

        threads = [
            threading.Thread(target=guarded, args=(side.run,), daemon=True)
            for side in (sender, receiver)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT)
        out, err = peer.communicate(timeout=TIMEOUT)
        elapsed = time.monotonic() - started
        assert not any(t.is_alive() for t in threads), (
            f"the wrapper side hung: {receiver.received} frames received; "
            f"ring-peer said {out!r} {err!r}"
        )
        if failures:
            raise AssertionError(f"ring-peer said {out!r} {err!r}") from failures[0]
        assert (peer.returncode, out.strip()) == (0, f"ok {FRAMES} {FRAMES}"), err
        assert receiver.saw_end
        transport.close()
        print(
            f"shm stress: {FRAMES} frames each way against ring-peer, rings of "
            f"{capacity} B, spin {spin_micros} us, in {elapsed:.1f} s "
            f"({sys.implementation.name})",
            file=sys.stderr,
        )
    finally:
        if peer.poll() is None:
            peer.kill()
            peer.communicate()
        shutil.rmtree(directory, ignore_errors=True)
