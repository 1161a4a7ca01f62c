"""The entry point: the real ``wrappers/python/wrapper.py`` as a subprocess against a
fake processor, end to end for every codec and transport; and its ``main`` in-process,
for the ways it refuses to start."""

from __future__ import annotations

import json
import os

import pytest
from ferrite_wrapper.transport._ring import ffi, lib

from fake_processor import FakeProcessor, create_segment, event_payload
from ferrite_wrapper.protocol import (
    EVENT,
    HELLO,
    INIT_ERROR,
    LOG,
    PING,
    PONG,
    READY,
    RESPONSE,
    SHUTDOWN,
)
from wrapper import main

FUNCTION = """
import asyncio
import os
import sys

import nuclio_sdk


def init_context(context):
    context.user_data.events = 0
    context.logger.info_with("init done", worker=context.worker_id)


def handler(context, event):
    context.user_data.events += 1
    print("stdout noise", event.id)
    print("stderr noise", file=sys.stderr)
    if event.path == "/echo":
        return nuclio_sdk.Response(
            body=event.body, content_type=event.content_type, status_code=200
        )
    if event.path == "/meta":
        context.logger.debug_with("meta", id=event.id)
        return {
            "method": event.method,
            "path": event.path,
            "url": event.url,
            "query": event.fields,
            "header": event.get_header("X-Test"),
            "content_type": event.content_type,
            "body": event.body,
            "trigger": [event.trigger.kind, event.trigger.name],
            "timestamp": event.timestamp.isoformat(),
            "events": context.user_data.events,
            "env": os.environ.get("GREETING"),
            "function": context.function_name,
        }
    if event.path == "/fail":
        raise ValueError("boom")
    if event.path == "/async":
        return asyncio.sleep(0, result=(202, "later"))
    if event.path == "/exit":
        os._exit(3)
    return "hello"
"""


@pytest.fixture(params=["unix", "tcp", "shm"])
def transport(request):
    return request.param


@pytest.fixture
def processor(function_dir, transport, codec_name):
    function_dir(FUNCTION, name="main")
    with FakeProcessor(
        function_dir.path,
        transport=transport,
        codec=codec_name,
        env={"GREETING": "hi"},
    ) as fake:
        kind, hello = fake.receive()
        assert kind == HELLO
        assert hello["token"] == fake.token
        assert hello["pid"] == fake.process.pid
        assert (hello["protocol"], hello["concurrency"]) == (1, 1)
        assert fake.receive() == (
            LOG,
            {"level": "info", "message": "init done", "fields": {"worker": 3}},
        )
        assert fake.receive() == (READY, {})
        yield fake


def test_event_round_trip(processor):
    processor.event(
        1,
        b'{"k": "v\xc3\xa9"}',
        path="/meta",
        url="/meta?a=b",
        query={"a": "b"},
        headers={"x-test": "yes", "content-type": "application/json; charset=utf-8"},
        content_type="application/json; charset=utf-8",
    )
    assert processor.receive() == (
        LOG,
        {"id": 1, "level": "debug", "message": "meta", "fields": {"id": 1}},
    )
    kind, response = processor.receive()
    assert kind == RESPONSE
    assert (response["id"], response["status"]) == (1, 200)
    assert response["content_type"] == "application/json"
    assert json.loads(response["body"]) == {
        "method": "POST",
        "path": "/meta",
        "url": "/meta?a=b",
        "query": {"a": "b"},
        "header": "yes",
        "content_type": "application/json; charset=utf-8",
        "body": {"k": "vé"},
        "trigger": ["http", "web"],
        "timestamp": "2023-11-14T22:13:20+00:00",
        "events": 1,
        "env": "hi",
        "function": "test-function",
    }
    processor.send(SHUTDOWN, {})
    assert processor.receive() is None
    assert processor.wait() == 0
    assert "stdout noise 1" in processor.stdout
    assert "stderr noise" in processor.stderr


def test_pipelined_events_errors_and_pings(processor):
    paths = ["/", "/fail", "/async", "/", "/echo"]
    messages = [
        (EVENT, event_payload(i, b"b%d" % i, path=p)) for i, p in enumerate(paths)
    ]
    messages.insert(3, (PING, {"nonce": 99}))
    processor.send_many(messages)
    got = [processor.receive() for _ in range(7)]
    assert [kind for kind, _ in got] == [
        RESPONSE,
        LOG,
        RESPONSE,
        RESPONSE,
        PONG,
        RESPONSE,
        RESPONSE,
    ]
    answers = [payload for kind, payload in got if kind == RESPONSE]
    assert [r["id"] for r in answers] == [0, 1, 2, 3, 4]
    assert [r["status"] for r in answers] == [200, 500, 202, 200, 200]
    assert answers[1]["error"] == "ValueError: boom"
    assert answers[1]["body"] == b"ValueError: boom"
    assert answers[2]["body"] == b"later"
    assert answers[4]["body"] == b"b4"
    assert got[4] == (PONG, {"nonce": 99})
    assert got[1][1]["level"] == "error"
    processor.send(SHUTDOWN, {})
    assert processor.wait() == 0


def test_eight_mebibyte_echo(processor):
    body = os.urandom(8 * 1024 * 1024)
    processor.event(7, body, path="/echo")
    kind, response = processor.receive()
    assert (kind, response["id"], response["status"]) == (RESPONSE, 7, 200)
    assert response["content_type"] == "application/octet-stream"
    assert response["body"] == body
    processor.conn.transport.close()  # end of stream, no shutdown: still a clean exit
    assert processor.wait() == 0


def test_handler_that_exits_the_process(processor):
    processor.event(1, path="/")
    assert processor.receive()[1]["body"] == b"hello"
    processor.event(2, path="/exit")
    assert processor.receive() is None
    assert processor.wait() == 3


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        ("mainx:handler", "ModuleNotFoundError: No module named 'mainx'"),
        ("main:nope", "AttributeError: module 'main' has no attribute 'nope'"),
    ],
)
def test_init_error(function_dir, transport, codec_name, handler, message):
    function_dir(FUNCTION, name="main")
    with FakeProcessor(
        function_dir.path, handler=handler, transport=transport, codec=codec_name
    ) as fake:
        assert fake.receive()[0] == HELLO
        kind, error = fake.receive()
        assert kind == INIT_ERROR
        assert error["message"] == message
        assert "Traceback (most recent call last)" in error["detail"]
        assert fake.receive() is None
        assert fake.wait() == 1


#: A frame each codec must refuse: an unknown kind (99), a line that is not JSON, a
#: buffer without the ``FRT1`` identifier.
UNDECODABLE = {
    "msgpack": b"\x00\x00\x00\x02\x63\x80",
    "json": b"}{\n",
    "flatbuffers": b"\x00\x00\x00\x08\x08\x00\x00\x00FRT2",
}


def test_undecodable_frame_exits_1(function_dir, codec_name):
    function_dir(FUNCTION, name="main")
    with FakeProcessor(function_dir.path, codec=codec_name) as fake:
        for _ in range(3):  # hello, init log, ready
            fake.receive()
        fake.conn.transport.write(UNDECODABLE[codec_name])
        assert fake.wait() == 1
        assert "protocol error" in fake.stderr


def test_main_complains_about_a_bad_environment(capsys):
    assert main({}) == 1
    assert "FERRITE_ADDRESS is not set" in capsys.readouterr().err


def test_main_complains_when_it_cannot_connect(capsys, tmp_path):
    assert main({"FERRITE_ADDRESS": str(tmp_path / "none.sock")}) == 1
    assert "cannot connect to unix" in capsys.readouterr().err


def test_main_refuses_a_claimed_shm_segment(capsys, tmp_path):
    path = tmp_path / "segment"
    processor = create_segment(str(path), 4096)
    claimed = ffi.new("ferrite_ring_endpoint **")
    assert lib.ferrite_ring_open(os.fsencode(path), claimed, ffi.NULL, 0) == 0
    environ = {
        "FERRITE_TRANSPORT": "shm",
        "FERRITE_ADDRESS": str(tmp_path / "bell.sock"),
        "FERRITE_SHM_PATH": str(path),
    }
    try:
        assert main(environ) == 1
    finally:
        lib.ferrite_ring_close(claimed[0])
        lib.ferrite_ring_close(processor)
    err = capsys.readouterr().err
    assert "cannot connect to shm" in err
    assert f"segment {path} is already open by a wrapper" in err


def test_main_warns_about_another_protocol_version(capsys, tmp_path):
    environ = {"FERRITE_ADDRESS": str(tmp_path / "none.sock"), "FERRITE_PROTOCOL": "2"}
    assert main(environ) == 1
    assert "the processor speaks protocol 2, this wrapper 1" in capsys.readouterr().err
