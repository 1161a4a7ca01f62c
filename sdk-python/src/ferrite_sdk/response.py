"""What a handler returns: :class:`Response`, and the rules that turn any return value
into the fields of a ``response`` message.

The rules, nuclio's:

- ``str`` is ``text/plain`` (UTF-8); ``bytes``-like is ``application/octet-stream``;
- ``dict`` and ``list`` are JSON, ``application/json``;
- ``None`` is an empty 200;
- a ``(status, body)`` pair sets the status, the body following these same rules;
- a :class:`Response` gives every field; its body follows these rules too, and its
  ``content_type``, when set, wins;
- anything else (numbers, say) is sent as its ``str()``.

The converter for each exact type is looked up in a dict, so the common cases cost one
lookup and one call.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Callable

__all__ = ["Response", "to_wire"]

TEXT = "text/plain; charset=utf-8"
BINARY = "application/octet-stream"
JSON = "application/json"

#: Shared by every response without headers; never mutated.
_NO_HEADERS: dict[str, str] = {}

#: ``(status, headers, content_type, body)``: the fields of a ``response`` message.
WireResponse = tuple[int, dict[str, str], str, bytes]


class Response:
    """A full answer: headers, body, content type, status code (nuclio's ``Response``).

    The parameters are in nuclio's order, so handlers that pass them by position run
    unchanged.
    """

    __slots__ = ("body", "content_type", "headers", "status_code")

    def __init__(
        self,
        headers: dict[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
        status_code: int = 200,
    ) -> None:
        self.body = body
        self.headers = headers if headers is not None else {}
        self.content_type = content_type
        self.status_code = status_code

    def __repr__(self) -> str:
        return (
            f"Response(body={self.body!r}, headers={self.headers!r}, "
            f"content_type={self.content_type!r}, status_code={self.status_code!r})"
        )


def _json_default(value: Any) -> Any:
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_dumps = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), default=_json_default
).encode


def _json_body(value: Any) -> tuple[bytes, str]:
    return _dumps(value).encode("utf-8"), JSON


def _body(value: Any) -> tuple[bytes, str]:
    """A body value as bytes, with the content type it implies."""
    kind = type(value)
    if kind is str:
        return value.encode("utf-8"), TEXT
    if kind is bytes:
        return value, BINARY
    if kind is dict or kind is list:
        return _json_body(value)
    if value is None:
        return b"", ""
    if isinstance(value, str):
        return value.encode("utf-8"), TEXT
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value), BINARY
    if isinstance(value, (dict, list, tuple)):
        return _json_body(value)
    return str(value).encode("utf-8"), TEXT


def _status(code: Any) -> int:
    if type(code) is not int:
        if not isinstance(code, int) or isinstance(code, bool):
            raise TypeError(
                f"status code must be an int, not {type(code).__name__}: {code!r}"
            )
        code = int(code)  # e.g. http.HTTPStatus
    if not 100 <= code <= 999:
        raise ValueError(f"status code {code} is outside 100-999")
    return code


def _headers(headers: Any) -> tuple[dict[str, str], str | None]:
    """Headers with text values, and the value of a ``content-type`` among them."""
    if not headers:
        return _NO_HEADERS, None
    if not hasattr(headers, "items"):
        headers = dict(headers)
    out = {}
    content_type = None
    for name, value in headers.items():
        name = name if type(name) is str else str(name)
        value = value if type(value) is str else str(value)
        if name.lower() == "content-type":
            content_type = value
        else:
            out[name] = value
    return out, content_type


def _from_text(result: str) -> WireResponse:
    return 200, _NO_HEADERS, TEXT, result.encode("utf-8")


def _from_bytes(result: bytes) -> WireResponse:
    return 200, _NO_HEADERS, BINARY, result


def _from_json(result: Any) -> WireResponse:
    return 200, _NO_HEADERS, JSON, _dumps(result).encode("utf-8")


def _from_none(result: None) -> WireResponse:
    return 200, _NO_HEADERS, "", b""


def _from_pair(result: tuple) -> WireResponse:
    if len(result) != 2:
        raise TypeError(
            f"a tuple returned by a handler must be (status, body), "
            f"not {len(result)} items"
        )
    status, body = result
    body, content_type = _body(body)
    return _status(status), _NO_HEADERS, content_type, body


def _from_response(result: Response) -> WireResponse:
    body, implied_type = _body(result.body)
    headers, header_type = _headers(result.headers)
    content_type = result.content_type or header_type or implied_type
    return _status(result.status_code), headers, content_type, body


def _from_other(result: Any) -> WireResponse:
    if isinstance(result, Response):
        return _from_response(result)
    if isinstance(result, tuple):
        return _from_pair(result)
    body, content_type = _body(result)
    return 200, _NO_HEADERS, content_type, body


_CONVERTERS: dict[type, Callable[[Any], WireResponse]] = {
    str: _from_text,
    bytes: _from_bytes,
    dict: _from_json,
    list: _from_json,
    type(None): _from_none,
    tuple: _from_pair,
    Response: _from_response,
}


def to_wire(result: Any) -> WireResponse:
    """``(status, headers, content_type, body)`` for whatever a handler returned.

    Raises ``TypeError`` or ``ValueError`` for a result that cannot be sent (a bad
    status code, a value JSON cannot encode); the caller answers those like a handler
    exception.
    """
    return _CONVERTERS.get(type(result), _from_other)(result)
