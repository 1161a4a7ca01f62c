#!/usr/bin/env python3
"""Compares the layout and worked example that `test_ring --layout` prints (what the C
code does) with schemas/shm-layout.json (what every language agrees on).

Usage: check_layout.py SCHEMA < output of test_ring --layout
"""

import json
import sys


def offsets(fields):
    return {name: field["offset"] for name, field in fields.items()}


def expected(schema):
    rings = {
        name: {"index": ring["index"], "control_offset": ring["control_offset"]}
        for name, ring in schema["rings"].items()
    }
    capacity = schema["capacity"]
    # The file says how to compute it; the C says what it computes for the example.
    segment_len_64 = schema["data_offset"] + 2 * 64
    return {
        "magic": schema["magic"],
        "version": schema["version"],
        "line": schema["line"],
        "segment": offsets(schema["segment"]),
        "rings": rings,
        "ring_control": offsets(schema["ring_control"]),
        "data_offset": schema["data_offset"],
        "capacity": {"min": capacity["min"], "max": capacity["max"]},
        "segment_len_64": segment_len_64,
        "doorbell_byte": schema["doorbell_byte"],
        "example": {k: v for k, v in schema["example"].items() if k != "$comment"},
    }


def main():
    with open(sys.argv[1]) as f:
        want = expected(json.load(f))
    got = json.load(sys.stdin)
    if got != want:
        for key in sorted(set(want) | set(got)):
            if want.get(key) != got.get(key):
                print(f"{key}: schema says {want.get(key)!r}, the C code {got.get(key)!r}")
        sys.exit(1)
    print("check_layout: the C layout and worked example match", sys.argv[1])


if __name__ == "__main__":
    main()
