"""Frame I/O over a real socket pair: any split of a stream decodes the same. And the
transports: connecting to a real listener, refusing bad settings."""

from __future__ import annotations

import os
import socket
import threading

import pytest

from ferrite_wrapper.codec import codec_for
from ferrite_wrapper.connection import Connection
from ferrite_wrapper.protocol import EVENT, PING, ProtocolError
from ferrite_wrapper.transport import UnixTransport, connect
from processor_codec import processor_codec_for


@pytest.fixture
def pair(codec_name):
    """(the wrapper's end, with a small read buffer; the processor's end)."""
    left, right = socket.socketpair()
    left.settimeout(30)
    right.settimeout(30)
    yield (
        Connection(UnixTransport(left), codec_for(codec_name), recv_size=4096),
        Connection(UnixTransport(right), processor_codec_for(codec_name)),
    )
    left.close()
    right.close()


def _receive_all(conn: Connection, count: int) -> list:
    got = []
    while len(got) < count:
        messages = conn.receive()
        assert messages is not None, "stream ended early"
        got.extend(messages)
    return got


def test_split_anywhere(pair):
    reader, writer = pair
    messages = [(PING, {"nonce": n}) for n in range(50)]
    data = b"".join(writer.codec.encode(kind, payload) for kind, payload in messages)

    def dribble():
        # Odd-sized pieces, so frames straddle reads.
        for start in range(0, len(data), 7):
            writer.transport.write(data[start : start + 7])

    sender = threading.Thread(target=dribble)
    sender.start()
    got = _receive_all(reader, 50)
    sender.join()
    assert got == messages


def test_big_frame_larger_than_the_read_buffer(pair):
    reader, writer = pair
    body = os.urandom(8 * 1024 * 1024)
    frame = writer.codec.encode(EVENT, {"id": 1, "body": body})
    sender = threading.Thread(target=writer.transport.write, args=(frame + frame,))
    sender.start()
    same = []
    while len(same) < 2:
        messages = reader.receive()
        assert messages is not None, "stream ended early"
        # Now: a body may be a view of the read buffer, valid until the next receive.
        same.extend(payload["body"] == body for _, payload in messages)
    sender.join()
    assert same == [True, True]


def test_a_batch_stays_intact_until_the_next_receive(pair):
    """Bodies may be views of what was read (flatbuffers): neither a frame completed in
    the carry-over buffer nor the next frame's bytes arriving may change them."""
    reader, writer = pair
    bodies = [bytes([n]) * (300 + 977 * n) for n in range(40)]
    data = b"".join(
        writer.codec.encode(EVENT, {"id": n, "body": body})
        for n, body in enumerate(bodies)
    )

    def dribble():
        for start in range(0, len(data), 1500):  # frames straddle reads
            writer.transport.write(data[start : start + 1500])

    sender = threading.Thread(target=dribble)
    sender.start()
    got = []
    while len(got) < len(bodies):
        messages = reader.receive()
        assert messages is not None, "stream ended early"
        got.extend(bytes(payload["body"]) for _, payload in messages)
    sender.join()
    assert got == bodies


def test_queue_and_flush_write_in_order(pair):
    reader, writer = pair
    writer.queue(writer.codec.encode(PING, {"nonce": 1}))
    writer.queue(writer.codec.encode(PING, {"nonce": 2}))
    writer.send(writer.codec.encode(PING, {"nonce": 3}))
    assert _receive_all(reader, 3) == [(PING, {"nonce": n}) for n in (1, 2, 3)]


def test_clean_end_of_stream(pair):
    reader, writer = pair
    writer.send(writer.codec.encode(PING, {"nonce": 1}))
    writer.transport.sock.shutdown(socket.SHUT_WR)
    assert reader.receive() == [(PING, {"nonce": 1})]
    assert reader.receive() is None


def test_end_of_stream_inside_a_frame(pair):
    reader, writer = pair
    frame = writer.codec.encode(PING, {"nonce": 1})
    writer.transport.write(frame[:-1])
    writer.transport.sock.shutdown(socket.SHUT_WR)
    with pytest.raises(ProtocolError, match="in the middle of a frame"):
        reader.receive()


def test_connect_tcp_sets_nodelay():
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        transport = connect("tcp", f"127.0.0.1:{listener.getsockname()[1]}")
        with transport.sock as sock:
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        listener.close()


@pytest.mark.parametrize(
    ("transport", "address", "error"),
    [
        ("tcp", "localhost", "not HOST:PORT"),
        ("tcp", "127.0.0.1:http", "not HOST:PORT"),
        ("quic", "/x", "unknown transport"),
    ],
)
def test_connect_rejects_bad_settings(transport, address, error):
    with pytest.raises(ValueError, match=error):
        connect(transport, address)
