"""Event decoding from the wire: JSON bodies, case-insensitive headers, times."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ferrite_sdk import Event, Headers, Trigger


def event_payload(event_id: int, body: bytes = b"", **fields) -> dict:
    """An ``event`` message's payload as the wrapper hands it to ``Event.from_wire``.

    The same sample as the wrapper's tests build (wrappers/python/tests): the SDK's
    tests run without the wrapper, so they keep their own."""
    return {
        "id": event_id,
        "trigger": {"kind": "http", "name": "web"},
        "method": "POST",
        "path": "/echo",
        "url": "/echo?x=1",
        "query": {"x": "1"},
        "headers": {"content-type": "application/octet-stream"},
        "content_type": "application/octet-stream",
        "body": body,
        "timestamp": 1_700_000_000_000,
        "deadline": 0,
        **fields,
    }


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON ;x=y"],
)
def test_json_body_is_decoded(content_type):
    event = Event.from_wire(
        event_payload(1, b'{"a": [1, "\xc3\xa9"]}', content_type=content_type)
    )
    assert event.body == {"a": [1, "é"]}
    assert event.content_type == content_type


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b""])
def test_body_that_is_not_json_stays_bytes(body):
    event = Event.from_wire(event_payload(1, body, content_type="application/json"))
    assert event.body == body


@pytest.mark.parametrize(
    "content_type", ["text/plain; charset=utf-8", "application/jsonl", ""]
)
def test_other_content_types_keep_bytes(content_type):
    event = Event.from_wire(event_payload(1, b"[1]", content_type=content_type))
    assert event.body == b"[1]"


def test_fields_of_the_wire():
    event = Event.from_wire(
        event_payload(
            42,
            headers={
                "content-type": "text/plain; charset=utf-8",
                "x-request-id": "abc",
            },
            timestamp=1_700_000_000_123,
            deadline=1_700_000_005_000,
        )
    )
    assert event.id == 42
    assert event.method == "POST"
    assert event.path == "/echo"
    assert event.url == "/echo?x=1"
    assert event.fields == {"x": "1"}
    assert event.trigger == Trigger("http", "web")
    assert (event.trigger.kind, event.trigger.name) == ("http", "web")
    assert event.timestamp == datetime(2023, 11, 14, 22, 13, 20, 123000, timezone.utc)
    assert event.timestamp.tzinfo is not None
    assert event.timestamp_ms == 1_700_000_000_123
    assert event.deadline == datetime(2023, 11, 14, 22, 13, 25, tzinfo=timezone.utc)


def test_headers_ignore_case():
    event = Event.from_wire(event_payload(1, headers={"x-request-id": "abc"}))
    assert event.get_header("X-Request-ID") == "abc"
    assert event.headers["X-REQUEST-ID"] == "abc"
    assert "x-Request-id" in event.headers
    assert event.get_header("missing") is None
    assert event.get_header("missing", "dflt") == "dflt"
    assert dict(event.headers) == {"x-request-id": "abc"}
    with pytest.raises(KeyError):
        event.headers["missing"]


def test_missing_optional_fields_take_defaults_and_unknown_keys_are_ignored():
    event = Event.from_wire({"id": 5, "trigger": None, "body": None, "new": 1})
    assert event.body == b""
    assert dict(event.headers) == {}
    assert event.fields == {}
    assert event.content_type == ""
    assert event.trigger == Trigger("", "")
    assert event.deadline is None
    assert event.deadline_ms == 0
    assert event.timestamp == datetime(1970, 1, 1, tzinfo=timezone.utc)


def test_events_from_one_trigger_share_its_object():
    first = Event.from_wire(event_payload(1))
    second = Event.from_wire(event_payload(2))
    assert first.trigger is second.trigger


def test_event_built_by_hand_for_a_handlers_own_tests():
    event = Event(
        body=b'{"x": 1}',
        content_type="application/json",
        headers={"X-Token": "t"},
        path="/p",
    )
    assert event.body == {"x": 1}
    assert event.get_header("x-token") == "t"
    assert event.url == "/p"
    assert event.method == "GET"
    assert "id=0" in repr(event)


def test_headers_built_by_hand_lower_case_names():
    headers = Headers({"Content-Type": "a", "X-Y": "b"})
    assert dict(headers) == {"content-type": "a", "x-y": "b"}
    assert headers["CONTENT-TYPE"] == "a"
    assert len(headers) == 2
    assert 1 not in headers


def test_event_has_no_instance_dict():
    """Cheap to build and small: the hot path makes one per request."""
    assert not hasattr(Event.from_wire(event_payload(1)), "__dict__")
