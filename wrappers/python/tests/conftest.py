"""Shared fixtures: codecs by name, and throwaway function directories."""

from __future__ import annotations

import itertools
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ferrite_wrapper.codec import codec_for, msgpack_unpack
from ferrite_wrapper.codec import msgpack as msgpack_codec

_module_numbers = itertools.count()

#: Every codec the wrapper speaks, as ``FERRITE_CODEC`` names it.
CODEC_NAMES = ["msgpack", "json", "flatbuffers"]


@pytest.fixture(params=CODEC_NAMES)
def codec_name(request) -> str:
    """Runs a test once per codec (the codec conformance tests are written once)."""
    return request.param


@pytest.fixture(params=["msgpack", "msgpack-own-decoder", "json", "flatbuffers"])
def codec(request, monkeypatch):
    """A codec per run of a codec conformance test, msgpack twice: with msgpack's own
    decoder, and with the codec's own reader, the one used where that has no C
    extension (PyPy)."""
    if request.param == "msgpack-own-decoder":
        monkeypatch.setattr(msgpack_codec, "unpack_payload", msgpack_unpack.unpack)
        return codec_for("msgpack")
    return codec_for(request.param)


@pytest.fixture
def function_dir(tmp_path):
    """``write(source) -> module name``: a handler module in a fresh directory, under a
    name no other test used, since imported modules are cached for the session."""

    def write(source: str, name: str = "") -> str:
        name = name or f"handler_{next(_module_numbers)}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        return name

    write.path = tmp_path
    return write
