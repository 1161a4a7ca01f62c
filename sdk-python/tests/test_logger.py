"""The logger: nuclio's methods, level filtering, fields the wire can carry."""

from __future__ import annotations

import datetime as dt
import enum

import pytest

from ferrite_sdk import Logger
from ferrite_sdk.logger import parse_level, plain


@pytest.fixture
def lines():
    return []


@pytest.fixture
def logger(lines):
    return Logger(lambda *line: lines.append(line), level="debug")


def test_levels_and_format_args(logger, lines):
    logger.debug("d %d", 1)
    logger.info("i %s and %s", "a", "b")
    logger.warn("w")
    logger.warning("w2")
    logger.error("e %r", "x")
    assert lines == [
        ("debug", "d 1", None, None),
        ("info", "i a and b", None, None),
        ("warn", "w", None, None),
        ("warn", "w2", None, None),
        ("error", "e 'x'", None, None),
    ]


def test_structured_fields(logger, lines):
    logger.info_with("done", took=1.5, path="/a")
    logger.debug_with("d", n=1)
    logger.warn_with("w %s", "x", n=2)
    logger.error_with("e")
    assert lines == [
        ("info", "done", {"took": 1.5, "path": "/a"}, None),
        ("debug", "d", {"n": 1}, None),
        ("warn", "w x", {"n": 2}, None),
        ("error", "e", None, None),
    ]


@pytest.mark.parametrize(
    ("level", "sent"),
    [
        ("debug", ["debug", "info", "warn", "error"]),
        ("info", ["info", "warn", "error"]),
        ("warn", ["warn", "error"]),
        ("warning", ["warn", "error"]),
        ("error", ["error"]),
        ("ERROR", ["error"]),
    ],
)
def test_level_filtering(lines, level, sent):
    logger = Logger(lambda *line: lines.append(line), level=level)
    logger.debug("x")
    logger.debug_with("x", a=1)
    logger.info("x")
    logger.info_with("x", a=1)
    logger.warn("x")
    logger.warn_with("x", a=1)
    logger.error("x")
    logger.error_with("x", a=1)
    assert [line[0] for line in lines] == [name for name in sent for _ in (1, 2)]


def test_filtered_lines_are_not_formatted(lines):
    class Loud:
        def __str__(self):
            raise AssertionError("formatted a dropped line")

    Logger(lambda *line: lines.append(line), level="error").info("%s", Loud())
    assert lines == []


def test_bad_format_args_never_raise(logger, lines):
    logger.info("%d items", "many")
    logger.info("no placeholders", 1)
    logger.info(12345)
    assert [line[1] for line in lines] == [
        "%d items ('many',)",
        "no placeholders (1,)",
        "12345",
    ]


def test_event_id_and_bound_fields(logger, lines):
    logger.bind(request="r1", who="bound")
    logger.event_id = 9
    logger.info_with("x", who="call")
    logger.event_id = None
    logger.info("y")
    assert lines == [
        ("info", "x", {"request": "r1", "who": "call"}, 9),
        ("info", "y", {"request": "r1", "who": "bound"}, None),
    ]


def test_level_property_and_enabled(logger):
    assert logger.level == "debug"
    logger.level = "warn"
    assert logger.level == "warn"
    assert not logger.enabled("info")
    assert logger.enabled("error")


def test_default_sink_is_stderr(capsys):
    Logger().info_with("hi %s", "there", a=1)
    assert capsys.readouterr().err == "[info] hi there {'a': 1}\n"


def test_parse_level_rejects_unknown_names():
    assert parse_level(" Info ") == parse_level("info")
    with pytest.raises(ValueError, match="unknown log level 'verbose'"):
        parse_level("verbose")


class Color(enum.Enum):
    RED = "red"


class Size(enum.IntEnum):
    BIG = 3


def test_plain_makes_fields_wire_safe():
    fields = {
        "ok": [1, 2.5, True, None, "s"],
        "tuple": (1, 2),
        "bytes": b"a\xff",
        "when": dt.datetime(2024, 1, 2, 3, 4, 5),
        "huge": 2**70,
        "nan": float("nan"),
        1: "int key",
        "enum": Color.RED,
        "intenum": Size.BIG,
        "nested": {"set": frozenset([1])},
    }
    assert plain(fields) == {
        "ok": [1, 2.5, True, None, "s"],
        "tuple": [1, 2],
        "bytes": "a\\xff",
        "when": "2024-01-02T03:04:05",
        "huge": str(2**70),
        "nan": "nan",
        "1": "int key",
        "enum": "Color.RED",
        "intenum": 3,
        "nested": {"set": [1]},
    }
