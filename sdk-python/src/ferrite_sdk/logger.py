"""``context.logger``: nuclio's logger API, sending each line to a sink.

In a wrapper the sink writes a ``log`` message to the processor at once, tagged with
the event being handled; elsewhere (a handler's own unit tests) lines go to stderr.
Lines below the level are dropped before any formatting, so a disabled ``debug`` costs
one comparison.
"""

from __future__ import annotations

import datetime as _dt
import math
import sys
from typing import Any, Callable, Optional

__all__ = ["LEVELS", "Logger", "parse_level", "plain"]

#: Level names as on the wire, and their order.
LEVELS = {"debug": 10, "info": 20, "warn": 30, "error": 40}
_ALIASES = {"warning": "warn", "err": "error", "trace": "debug"}

DEBUG, INFO, WARN, ERROR = (LEVELS[name] for name in ("debug", "info", "warn", "error"))

#: ``sink(level, message, fields, event_id)``; ``fields`` is ``None`` when empty.
Sink = Callable[[str, str, Optional[dict[str, Any]], Optional[int]], None]


def parse_level(name: str) -> int:
    """The rank of a level name such as ``FERRITE_LOG_LEVEL``'s (``warning`` too)."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    try:
        return LEVELS[key]
    except KeyError:
        raise ValueError(
            f"unknown log level {name!r}: expected one of {', '.join(LEVELS)}"
        ) from None


def _stderr_sink(
    level: str, message: str, fields: dict[str, Any] | None, event_id: int | None
) -> None:
    tail = f" {fields}" if fields else ""
    print(f"[{level}] {message}{tail}", file=sys.stderr)


def _format(message: Any, args: tuple) -> str:
    if not isinstance(message, str):
        message = str(message)
    if not args:
        return message
    try:
        return message % args
    except (TypeError, ValueError, KeyError):
        # A log call must never break the handler: keep everything, unformatted.
        return f"{message} {args!r}"


_I64_MIN = -(2**63)
_U64_MAX = 2**64 - 1


def plain(value: Any) -> Any:
    """``value`` as JSON-like data every codec carries (structured log fields).

    Text keys; lists for tuples and sets; finite floats; integers within 64 bits; text
    for bytes, dates and anything else.
    """
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return value if _I64_MIN <= value <= _U64_MAX else str(value)
    if kind is float:
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(item) for item in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "backslashreplace")
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    # Subclasses of the scalars, such as enums, as their plain value.
    if isinstance(value, int):
        return plain(int(value)) if not isinstance(value, bool) else bool(value)
    if isinstance(value, float):
        return plain(float(value))
    if isinstance(value, str):
        return str.__str__(value)
    return str(value)


class Logger:
    """nuclio's logger: ``debug/info/warn/error(message, *args)`` with ``%``-style args,
    and ``*_with(message, **fields)`` for structured fields.

    ``event_id`` is set by the wrapper while an event runs, so each line carries it.
    """

    __slots__ = ("_bound", "_min", "_sink", "event_id")

    def __init__(self, sink: Sink | None = None, level: str = "debug") -> None:
        self._sink = sink or _stderr_sink
        self._min = parse_level(level)
        self._bound: dict[str, Any] = {}
        self.event_id: int | None = None

    @property
    def level(self) -> str:
        """The lowest level sent."""
        return next(name for name, rank in LEVELS.items() if rank == self._min)

    @level.setter
    def level(self, name: str) -> None:
        self._min = parse_level(name)

    def enabled(self, level: str) -> bool:
        """Whether a line at ``level`` would be sent, to skip costly arguments."""
        return parse_level(level) >= self._min

    def bind(self, **fields: Any) -> None:
        """Adds fields to every later line (a call's own fields win on a clash)."""
        self._bound.update(fields)

    def debug(self, message: Any, *args: Any) -> None:
        if self._min <= DEBUG:
            self._log("debug", message, args, None)

    def info(self, message: Any, *args: Any) -> None:
        if self._min <= INFO:
            self._log("info", message, args, None)

    def warn(self, message: Any, *args: Any) -> None:
        if self._min <= WARN:
            self._log("warn", message, args, None)

    warning = warn

    def error(self, message: Any, *args: Any) -> None:
        if self._min <= ERROR:
            self._log("error", message, args, None)

    def debug_with(self, message: Any, *args: Any, **fields: Any) -> None:
        if self._min <= DEBUG:
            self._log("debug", message, args, fields)

    def info_with(self, message: Any, *args: Any, **fields: Any) -> None:
        if self._min <= INFO:
            self._log("info", message, args, fields)

    def warn_with(self, message: Any, *args: Any, **fields: Any) -> None:
        if self._min <= WARN:
            self._log("warn", message, args, fields)

    warning_with = warn_with

    def error_with(self, message: Any, *args: Any, **fields: Any) -> None:
        if self._min <= ERROR:
            self._log("error", message, args, fields)

    def _log(
        self, level: str, message: Any, args: tuple, fields: dict[str, Any] | None
    ) -> None:
        if self._bound:
            fields = {**self._bound, **fields} if fields else dict(self._bound)
        self._sink(level, _format(message, args), fields or None, self.event_id)
