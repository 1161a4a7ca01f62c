"""The msgpack codec's own MessagePack reader, in plain Python, for interpreters where
msgpack has no C extension: PyPy.

msgpack's own pure-Python fallback makes an ``Unpacker`` and copies its input for
every call; under PyPy 7.3 that took ~4.5 us for one event frame, most of what the PyPy
wrapper spent of its own per event. Walking the bytes with plain indexing, as here, is
what PyPy's JIT compiles well: ~1.2 us for the same frame. Under CPython msgpack's C
extension is several times faster than this, so the codec
(:mod:`ferrite_wrapper.codec.msgpack`) uses this module only where that extension is
missing. A module of its own rather than part of the codec's: it is a complete reader
of the format with tests of its own, and the codec stays the few lines that frame
messages.

It reads every MessagePack type but ext, which the protocol never sends. Map keys must
be text, as they are in every protocol message.
"""

from __future__ import annotations

import struct
from typing import Any, Union

__all__ = ["MalformedMsgpack", "unpack"]

Buffer = Union[bytes, bytearray, memoryview]

_U16 = struct.Struct(">H").unpack_from
_U32 = struct.Struct(">I").unpack_from
_U64 = struct.Struct(">Q").unpack_from
_I8 = struct.Struct(">b").unpack_from
_I16 = struct.Struct(">h").unpack_from
_I32 = struct.Struct(">i").unpack_from
_I64 = struct.Struct(">q").unpack_from
_F32 = struct.Struct(">f").unpack_from
_F64 = struct.Struct(">d").unpack_from


class MalformedMsgpack(ValueError):
    """The bytes are not one well-formed MessagePack value."""


def unpack(data: Buffer) -> Any:
    """The one value that ``data`` holds, all of it."""
    try:
        value, end = _value(data, 0)
    except (IndexError, struct.error):
        raise MalformedMsgpack("truncated") from None
    except UnicodeDecodeError as exc:
        raise MalformedMsgpack(f"text that is not UTF-8 ({exc.reason})") from None
    except RecursionError:
        raise MalformedMsgpack("nested too deeply") from None
    if end != len(data):
        raise MalformedMsgpack(f"{len(data) - end} bytes after the value")
    return value


def _value(data: Buffer, pos: int) -> tuple[Any, int]:
    # The kinds of byte an event frame is made of come first.
    b = data[pos]
    pos += 1
    if b <= 0x7F:
        return b, pos
    if b >= 0xA0:
        if b <= 0xBF:
            return _text(data, pos, b & 0x1F)
        if b >= 0xE0:
            return b - 0x100, pos
    elif b <= 0x8F:
        return _map(data, pos, b & 0x0F)
    elif b <= 0x9F:
        return _array(data, pos, b & 0x0F)
    if b == 0xCF:
        return _U64(data, pos)[0], pos + 8
    if b == 0xC4:
        return _bytes(data, pos + 1, data[pos])
    if b == 0xC0:
        return None, pos
    if b == 0xC2:
        return False, pos
    if b == 0xC3:
        return True, pos
    if b == 0xCC:
        return data[pos], pos + 1
    if b == 0xCD:
        return _U16(data, pos)[0], pos + 2
    if b == 0xCE:
        return _U32(data, pos)[0], pos + 4
    if b == 0xD0:
        return _I8(data, pos)[0], pos + 1
    if b == 0xD1:
        return _I16(data, pos)[0], pos + 2
    if b == 0xD2:
        return _I32(data, pos)[0], pos + 4
    if b == 0xD3:
        return _I64(data, pos)[0], pos + 8
    if b == 0xCA:
        return _F32(data, pos)[0], pos + 4
    if b == 0xCB:
        return _F64(data, pos)[0], pos + 8
    if b == 0xD9:
        return _text(data, pos + 1, data[pos])
    if b == 0xDA:
        return _text(data, pos + 2, _U16(data, pos)[0])
    if b == 0xDB:
        return _text(data, pos + 4, _U32(data, pos)[0])
    if b == 0xC5:
        return _bytes(data, pos + 2, _U16(data, pos)[0])
    if b == 0xC6:
        return _bytes(data, pos + 4, _U32(data, pos)[0])
    if b == 0xDE:
        return _map(data, pos + 2, _U16(data, pos)[0])
    if b == 0xDF:
        return _map(data, pos + 4, _U32(data, pos)[0])
    if b == 0xDC:
        return _array(data, pos + 2, _U16(data, pos)[0])
    if b == 0xDD:
        return _array(data, pos + 4, _U32(data, pos)[0])
    if b == 0xC1:
        raise MalformedMsgpack("0xc1 is never used")
    raise MalformedMsgpack(f"ext type 0x{b:02x} is not used by the protocol")


def _text(data: Buffer, pos: int, size: int) -> tuple[str, int]:
    end = pos + size
    if end > len(data):
        raise IndexError
    return str(data[pos:end], "utf-8"), end


def _bytes(data: Buffer, pos: int, size: int) -> tuple[bytes, int]:
    end = pos + size
    if end > len(data):
        raise IndexError
    return bytes(data[pos:end]), end


def _map(data: Buffer, pos: int, size: int) -> tuple[dict[str, Any], int]:
    out = {}
    for _ in range(size):
        b = data[pos]
        if 0xA0 <= b <= 0xBF:  # keys are short text: read them here, without a call
            end = pos + 1 + (b & 0x1F)
            if end > len(data):
                raise IndexError
            key = str(data[pos + 1 : end], "utf-8")
            pos = end
        else:
            key, pos = _value(data, pos)
            if type(key) is not str:
                raise MalformedMsgpack(f"a map key is a {type(key).__name__}, not text")
        out[key], pos = _value(data, pos)
    return out, pos


def _array(data: Buffer, pos: int, size: int) -> tuple[list[Any], int]:
    out = []
    for _ in range(size):
        value, pos = _value(data, pos)
        out.append(value)
    return out, pos
