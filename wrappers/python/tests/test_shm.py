"""The shm transport's segment: its layout against ``schemas/shm-layout.json`` and the
worked example there, played through the real rings; and the segments it refuses."""

from __future__ import annotations

import json
import mmap
import os
import socket
import struct
import threading
from pathlib import Path

import pytest
from ferrite_wrapper.transport._ring import ffi, lib

from fake_processor import create_segment
from ferrite_wrapper.config import Config
from ferrite_wrapper.transport import ShmTransport, connect

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "schemas" / "shm-layout.json").read_text()
)
WORD = {"u32": "<I", "u64": "<Q"}


def test_constants_match_the_schema():
    assert SCHEMA["magic"] == lib.FERRITE_RING_MAGIC
    assert struct.pack("<I", SCHEMA["magic"]) == SCHEMA["magic_ascii"].encode()
    assert SCHEMA["version"] == lib.FERRITE_RING_VERSION
    assert SCHEMA["line"] == lib.FERRITE_RING_LINE
    assert SCHEMA["data_offset"] == lib.FERRITE_RING_DATA_OFFSET
    assert SCHEMA["capacity"]["min"] == lib.FERRITE_RING_MIN_CAPACITY
    assert SCHEMA["capacity"]["max"] == lib.FERRITE_RING_MAX_CAPACITY
    assert SCHEMA["doorbell_byte"] == lib.FERRITE_RING_DOORBELL_BYTE
    for capacity in (64, 1 << 20):
        assert (
            lib.ferrite_ring_segment_len(capacity)
            == SCHEMA["data_offset"] + 2 * capacity
        )


def read_word(file: mmap.mmap, offset: int, kind: str) -> int:
    return struct.unpack_from(WORD[kind], file, offset)[0]


def words_of(file: mmap.mmap, ring: str) -> dict[str, int]:
    control = SCHEMA["rings"][ring]["control_offset"]
    return {
        name: read_word(file, control + field["offset"], field["type"])
        for name, field in SCHEMA["ring_control"].items()
    }


def test_worked_example(tmp_path):
    """The schema's example, step by step, with the test between the two doorbells so
    that the file can be read at the moment the example describes."""
    example = SCHEMA["example"]
    capacity = example["capacity"]
    path = tmp_path / "segment"
    processor_bell, to_test = socket.socketpair()
    from_test, wrapper_bell = socket.socketpair()
    processor = ShmTransport(create_segment(str(path), capacity), processor_bell)
    ring = ffi.new("ferrite_ring_endpoint **")
    assert lib.ferrite_ring_open(os.fsencode(path), ring, ffi.NULL, 0) == 0
    wrapper = ShmTransport(ring[0], wrapper_bell, spin_micros=0, timeout=30)
    with path.open("r+b") as f, mmap.mmap(f.fileno(), 0) as file:
        fields = SCHEMA["segment"]
        assert read_word(file, fields["magic"]["offset"], "u32") == SCHEMA["magic"]
        assert read_word(file, fields["version"]["offset"], "u32") == SCHEMA["version"]
        assert read_word(file, fields["capacity"]["offset"], "u64") == capacity
        assert len(file) == SCHEMA["data_offset"] + 2 * capacity

        processor.write(bytes(range(60)))
        buffer = bytearray(256)
        assert wrapper.read_into(memoryview(buffer)) == 60
        assert buffer[:60] == bytes(range(60))

        # The wrapper finds the ring empty and sleeps; once its sleep word is odd, the
        # processor writes the rest, which wraps, and rings.
        got = []
        reader = threading.Thread(
            target=lambda: got.append(wrapper.read_into(memoryview(buffer)))
        )
        reader.start()
        for _ in range(3000):
            if words_of(file, "to_wrapper")["consumer_sleep"] % 2:
                break
            threading.Event().wait(0.01)
        processor.write(bytes(range(60, 70)))
        to_test.settimeout(30)
        assert to_test.recv(16) == bytes([SCHEMA["doorbell_byte"]])

        assert words_of(file, "to_wrapper") == example["to_wrapper"]
        assert words_of(file, "to_processor") == example["to_processor"]
        attached = fields["attached"]
        assert (
            read_word(file, attached["offset"], attached["type"]) == example["attached"]
        )
        start = (
            SCHEMA["data_offset"] + SCHEMA["rings"]["to_wrapper"]["index"] * capacity
        )
        data = bytes(file[start : start + capacity])
        assert data.hex() == example["to_wrapper_data_hex"]

        from_test.send(b"\x01")
        reader.join(30)
        assert got == [10]
        assert buffer[:10] == bytes(range(60, 70))
        wrapper.close()
        processor.close()
    for sock in (to_test, from_test):
        sock.close()


def shm_config(path) -> Config:
    return Config("shm", "-", "msgpack", "", "", "", "", 0, "info", str(path), 0)


def test_a_claimed_segment_is_refused(tmp_path):
    path = tmp_path / "segment"
    endpoint = create_segment(str(path), 4096)
    first = ffi.new("ferrite_ring_endpoint **")
    assert lib.ferrite_ring_open(os.fsencode(path), first, ffi.NULL, 0) == 0
    with pytest.raises(OSError, match="already open by a wrapper"):
        connect("shm", str(tmp_path / "no.sock"), shm_config(path))
    lib.ferrite_ring_close(first[0])
    lib.ferrite_ring_close(endpoint)


@pytest.mark.parametrize(
    ("contents", "error"),
    [
        (b"", "too short"),
        (b"XXXX" + bytes(4096 + 124), "magic is"),
        (
            struct.pack("<IIQ", SCHEMA["magic"], 1, 64) + bytes(4096 + 64 - 16),
            "but rings of 64 need",
        ),
        (
            struct.pack("<IIQ", SCHEMA["magic"], 2, 64) + bytes(4096 + 128 - 16),
            "version",
        ),
        (
            struct.pack("<IIQ", SCHEMA["magic"], 1, 100) + bytes(4096 + 200 - 16),
            "capacity",
        ),
    ],
)
def test_not_a_segment_is_refused(tmp_path, contents, error):
    path = tmp_path / "segment"
    path.write_bytes(contents)
    with pytest.raises(OSError, match=error):
        connect("shm", str(tmp_path / "no.sock"), shm_config(path))


def test_shm_needs_its_path():
    with pytest.raises(ValueError, match="FERRITE_SHM_PATH"):
        connect("shm", "/x", None)
