"""How whatever a handler returns becomes a response's fields."""

from __future__ import annotations

import datetime as dt
import http

import pytest

from ferrite_sdk import Response
from ferrite_sdk.response import to_wire


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ("héllo", (200, {}, "text/plain; charset=utf-8", "héllo".encode())),
        (b"\x00\xff", (200, {}, "application/octet-stream", b"\x00\xff")),
        (bytearray(b"ab"), (200, {}, "application/octet-stream", b"ab")),
        (memoryview(b"ab"), (200, {}, "application/octet-stream", b"ab")),
        ({"a": "é"}, (200, {}, "application/json", '{"a":"é"}'.encode())),
        ([1, 2], (200, {}, "application/json", b"[1,2]")),
        (None, (200, {}, "", b"")),
        (42, (200, {}, "text/plain; charset=utf-8", b"42")),
        ((201, "made"), (201, {}, "text/plain; charset=utf-8", b"made")),
        ((400, {"error": "bad"}), (400, {}, "application/json", b'{"error":"bad"}')),
        ((204, None), (204, {}, "", b"")),
        ((404, b"\x01"), (404, {}, "application/octet-stream", b"\x01")),
        ((http.HTTPStatus.ACCEPTED, ""), (202, {}, "text/plain; charset=utf-8", b"")),
    ],
    ids=repr,
)
def test_return_values(result, expected):
    assert to_wire(result) == expected


def test_response_object():
    response = Response(
        body="created",
        headers={"X-Count": 3, "X-Flag": True},
        content_type="text/csv",
        status_code=201,
    )
    assert to_wire(response) == (
        201,
        {"X-Count": "3", "X-Flag": "True"},
        "text/csv",
        b"created",
    )


@pytest.mark.parametrize(
    ("body", "content_type", "wire_body"),
    [
        ({"a": 1}, "application/json", b'{"a":1}'),
        (
            [{"when": dt.date(2024, 1, 2)}],
            "application/json",
            b'[{"when":"2024-01-02"}]',
        ),
        (b"raw", "application/octet-stream", b"raw"),
        ("text", "text/plain; charset=utf-8", b"text"),
        (None, "", b""),
    ],
)
def test_response_body_follows_the_same_rules(body, content_type, wire_body):
    assert to_wire(Response(body=body)) == (200, {}, content_type, wire_body)


def test_explicit_content_type_wins_over_the_body_type():
    response = Response(body={"a": 1}, content_type="application/vnd.api+json")
    assert to_wire(response)[2:] == ("application/vnd.api+json", b'{"a":1}')


def test_content_type_header_becomes_the_content_type():
    response = Response(body="x", headers={"Content-Type": "text/html", "X-A": "b"})
    assert to_wire(response) == (200, {"X-A": "b"}, "text/html", b"x")


def test_headers_as_pairs():
    response = Response(body="", headers=[("X-A", "1")])
    assert to_wire(response)[1] == {"X-A": "1"}


def test_response_defaults():
    response = Response()
    assert (response.body, response.headers, response.status_code) == (None, {}, 200)
    assert to_wire(response) == (200, {}, "", b"")


@pytest.mark.parametrize(
    ("result", "error"),
    [
        ((1, 2, 3), TypeError),
        (("200", "x"), TypeError),
        ((True, "x"), TypeError),
        ((99, "x"), ValueError),
        ((1000, "x"), ValueError),
        (Response(status_code=None), TypeError),
        ({"a": object()}, TypeError),
        ("\udc80", UnicodeEncodeError),
    ],
    ids=repr,
)
def test_results_that_cannot_be_sent(result, error):
    with pytest.raises(error):
        to_wire(result)


def test_positional_arguments_follow_nuclio_order():
    # nuclio's Response(headers, body, content_type, status_code), by position.
    response = Response({"X-A": "1"}, "made", "text/x-made", 201)
    assert (response.headers, response.body) == ({"X-A": "1"}, "made")
    assert (response.content_type, response.status_code) == ("text/x-made", 201)
