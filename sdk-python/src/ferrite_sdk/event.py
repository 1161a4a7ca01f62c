"""What a handler receives: :class:`Event`, its :class:`Trigger` and :class:`Headers`.

An event is built once per request on the wrapper's hot path, so it is a ``__slots__``
object that keeps the wire's own dicts instead of copying them, and computes the
rarely-used datetime views only when asked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

__all__ = ["Event", "Headers", "Trigger"]


class Trigger:
    """Where an event came from: its trigger's ``kind`` and its ``name`` in the spec."""

    __slots__ = ("kind", "name")

    def __init__(self, kind: str = "", name: str = "") -> None:
        self.kind = kind
        self.name = name

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trigger):
            return NotImplemented
        return self.kind == other.kind and self.name == other.name

    def __hash__(self) -> int:
        return hash((self.kind, self.name))

    def __repr__(self) -> str:
        return f"Trigger(kind={self.kind!r}, name={self.name!r})"


class Headers(Mapping):
    """Request headers, looked up without regard to case.

    The wire already sends lower-case names, so this wraps that dict as it is and only
    lower-cases the key being looked up.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping | None = None) -> None:
        self._items = {str(k).lower(): v for k, v in items.items()} if items else {}

    @classmethod
    def _from_wire(cls, items: dict[str, str]) -> Headers:
        """Wraps a dict whose names are lower-case already, without checking."""
        headers = _new(cls)
        headers._items = items
        return headers

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    def get(self, name: str, default: Any = None) -> Any:
        return self._items.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


_new = object.__new__

# Events from one trigger share one Trigger object instead of building one each.
_triggers: dict[tuple, Trigger] = {}


def _trigger_from_wire(wire: dict[str, Any] | None) -> Trigger:
    if not wire:
        wire = {}
    key = (wire.get("kind") or "", wire.get("name") or "")
    trigger = _triggers.get(key)
    if trigger is None:
        if (
            len(_triggers) >= 64
        ):  # names come from the spec, so this is only a safeguard
            _triggers.clear()
        trigger = _triggers[key] = Trigger(*key)
    return trigger


def is_json(content_type: str) -> bool:
    """Whether a content type is ``application/json``, parameters and case aside."""
    return content_type.partition(";")[0].strip().lower() == "application/json"


def _decode_body(body: Any, content_type: str) -> Any:
    """The body as JSON for ``application/json`` when it parses, else as it came."""
    if content_type and body and is_json(content_type):
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            pass  # like nuclio: the handler still gets the bytes and can decide
    return body


def _datetime_from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


class Event:
    """One request for a handler (nuclio's ``Event``).

    ``body`` is bytes, or the decoded value of an ``application/json`` body that
    parses. ``fields`` is the query map. ``timestamp`` and ``deadline`` are
    timezone-aware UTC datetimes; ``timestamp_ms`` and ``deadline_ms`` hold the wire's
    milliseconds since the epoch (``deadline_ms`` is 0 when there is no deadline).
    """

    __slots__ = (
        "body",
        "content_type",
        "deadline_ms",
        "fields",
        "headers",
        "id",
        "method",
        "path",
        "timestamp_ms",
        "trigger",
        "url",
    )

    def __init__(
        self,
        body: Any = b"",
        content_type: str = "",
        headers: Mapping | None = None,
        fields: dict[str, str] | None = None,
        method: str = "GET",
        path: str = "/",
        url: str | None = None,
        id: int = 0,
        trigger: Trigger | None = None,
        timestamp_ms: int = 0,
        deadline_ms: int = 0,
    ) -> None:
        self.id = id
        self.trigger = trigger if trigger is not None else Trigger()
        self.method = method
        self.path = path
        self.url = url if url is not None else path
        self.fields = fields if fields is not None else {}
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.content_type = content_type or ""
        self.body = _decode_body(body, self.content_type)
        self.timestamp_ms = timestamp_ms
        self.deadline_ms = deadline_ms

    @classmethod
    def from_wire(cls, payload: dict[str, Any]) -> Event:
        """The event of an ``event`` message's payload; a missing optional field is its
        default. Raises ``KeyError`` without an ``id``."""
        event = _new(cls)
        event.id = payload["id"]
        get = payload.get
        event.trigger = _trigger_from_wire(get("trigger"))
        event.method = get("method") or ""
        event.path = get("path") or ""
        event.url = get("url") or ""
        event.fields = get("query") or {}
        event.headers = Headers._from_wire(get("headers") or {})
        content_type = event.content_type = get("content_type") or ""
        body = get("body") or b""
        event.body = _decode_body(body, content_type) if content_type else body
        event.timestamp_ms = get("timestamp") or 0
        event.deadline_ms = get("deadline") or 0
        return event

    @property
    def timestamp(self) -> datetime:
        """When the trigger received the event."""
        return _datetime_from_ms(self.timestamp_ms)

    @property
    def deadline(self) -> datetime | None:
        """When the processor gives up on the event, or ``None``."""
        return _datetime_from_ms(self.deadline_ms) if self.deadline_ms else None

    def get_header(self, name: str, default: Any = None) -> Any:
        """A header's value, the name in any case; ``default`` when absent."""
        return self.headers.get(name, default)

    def __repr__(self) -> str:
        return (
            f"Event(id={self.id!r}, trigger={self.trigger!r}, method={self.method!r}, "
            f"url={self.url!r}, content_type={self.content_type!r}, body={self.body!r})"
        )
