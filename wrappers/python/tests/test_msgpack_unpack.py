"""The msgpack codec's own MessagePack reader, the one PyPy uses: it must read exactly
what msgpack itself reads, every type and size boundary included, and refuse the
rest."""

from __future__ import annotations

import math
import random

import msgpack
import pytest

from ferrite_wrapper.codec.msgpack_unpack import MalformedMsgpack, unpack

# Values at each boundary where the encoding changes form.
INTEGERS = [
    0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1,
    -1, -32, -33, -128, -129, -32768, -32769, -(2**31), -(2**31) - 1, -(2**63),
]  # fmt: skip
LENGTHS = [0, 1, 15, 16, 31, 32, 255, 256, 65535, 65536]


def samples():
    yield from INTEGERS
    yield from [None, True, False, 0.0, -1.5, 1e300, math.inf]
    for n in LENGTHS:
        yield "é" * (n // 2) + "a" * (n % 2)
        yield bytes(range(256)) * (n // 256) + bytes(n % 256)
        yield list(range(n))
        yield {f"k{i}": i for i in range(n)}
    yield {"nested": {"list": [{"a": [b"x", None]}], "ü": "çödé"}}


@pytest.mark.parametrize("value", list(samples()), ids=lambda v: type(v).__name__)
def test_reads_what_msgpack_writes(value):
    packed = msgpack.packb(value, use_bin_type=True)
    assert unpack(packed) == value
    assert unpack(bytearray(packed)) == value
    assert unpack(memoryview(packed)) == value


def test_float32_reads_as_msgpack_reads_it():
    packed = msgpack.packb(1.25, use_single_float=True)
    assert packed[0] == 0xCA
    assert unpack(packed) == msgpack.unpackb(packed) == 1.25


def random_value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(8 if depth < 4 else 6)
    if kind == 0:
        return rng.randint(-(2**63), 2**64 - 1) >> rng.randrange(64)
    if kind == 1:
        return rng.choice([None, True, False, rng.random() * 1e6])
    if kind == 2:
        return "".join(
            rng.choice("aé\u20ac\U0001f600") for _ in range(rng.randrange(40))
        )
    if kind == 3:
        return rng.randbytes(rng.randrange(300))
    if kind in (4, 5):
        return rng.randrange(-32, 128)
    if kind == 6:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(20))]
    return {
        f"key{rng.randrange(1000)}": random_value(rng, depth + 1)
        for _ in range(rng.randrange(20))
    }


def test_random_values_read_as_msgpack_reads_them():
    rng = random.Random(2026)
    for _ in range(500):
        value = random_value(rng)
        packed = msgpack.packb(value, use_bin_type=True)
        assert unpack(packed) == msgpack.unpackb(packed, strict_map_key=False)


def test_every_truncation_is_refused():
    packed = msgpack.packb(
        {"id": 2**40, "body": b"\x00" * 300, "text": "é" * 40, "list": [1, -200, 3.5]},
        use_bin_type=True,
    )
    for cut in range(len(packed)):
        with pytest.raises(MalformedMsgpack):
            unpack(packed[:cut])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xc1", "never used"),
        (b"\xd4\x01\x00", "ext type"),
        (b"\xc7\x01\x05\x00", "ext type"),
        (b"\x81\x01\x02", "a map key is a int"),
        (b"\x81\xc4\x01k\x02", "a map key is a bytes"),
        (b"\xa2\xff\xfe", "not UTF-8"),
        (b"\x80\x80", "1 bytes after the value"),
        (b"\x91" * 100_000 + b"\x90", "nested too deeply"),
    ],
    ids=[
        "0xc1",
        "fixext",
        "ext8",
        "int key",
        "bytes key",
        "bad utf-8",
        "trailing",
        "deep",
    ],
)
def test_malformed_input_is_refused(data, message):
    with pytest.raises(MalformedMsgpack, match=message):
        unpack(data)
