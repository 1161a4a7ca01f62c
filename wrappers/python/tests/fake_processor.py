"""A stand-in for the ferrite processor: listens like it, starts the real
``wrappers/python/wrapper.py`` with the ``FERRITE_*`` environment, and speaks the
protocol through the wrapper's own codecs (whose wire bytes ``test_codec.py`` pins), or
for flatbuffers through the processor's side of it (``processor_codec.py``)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from ferrite_wrapper.connection import Connection
from ferrite_wrapper.protocol import EVENT, Message
from ferrite_wrapper.transport import ShmTransport, SocketTransport
from processor_codec import processor_codec_for

WRAPPER_DIR = Path(__file__).resolve().parents[1]
WRAPPER = WRAPPER_DIR / "wrapper.py"
SDK_SRC = WRAPPER_DIR.parents[1] / "sdk-python" / "src"

#: Generous: a watchdog against hangs, not a measure of speed.
TIMEOUT = 30.0

#: Each ring of an shm segment: large enough that no test waits on a full ring for long.
SHM_CAPACITY = 1 << 20


def create_segment(path: str, capacity: int):
    """The processor's end of a new segment at ``path`` (what ferrite does for shm)."""
    from ferrite_wrapper.transport._ring import ffi, lib

    out = ffi.new("ferrite_ring_endpoint **")
    message = ffi.new("char[512]")
    status = lib.ferrite_ring_create(os.fsencode(path), capacity, out, message, 512)
    if status != lib.FERRITE_RING_OK:
        raise OSError(ffi.string(message).decode())
    return out[0]


def event_payload(event_id: int, body: bytes = b"", **fields) -> dict:
    """An ``event`` message's payload, as the processor sends it."""
    payload = {
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
    }
    payload.update(fields)
    return payload


class FakeProcessor:
    """One worker's endpoint plus the wrapper process connected to it."""

    def __init__(
        self,
        function_dir: Path,
        handler: str = "main:handler",
        transport: str = "unix",
        codec: str = "msgpack",
        log_level: str = "debug",
        env: dict[str, str] | None = None,
        spin_micros: int = 50,
    ) -> None:
        self.codec_name = codec
        self.token = os.urandom(8).hex()
        # Short, since unix socket paths are limited to about 100 bytes.
        self._dir = tempfile.mkdtemp(prefix="ferrite-", dir="/tmp")
        self._segment = None
        transport_env = {}
        if transport == "shm":
            # The rings carry the frames; the socket only the doorbells.
            shm_path = os.path.join(self._dir, "worker-0.ring")
            self._segment = create_segment(shm_path, SHM_CAPACITY)
            transport_env = {
                "FERRITE_SHM_PATH": shm_path,
                "FERRITE_SPIN_MICROS": str(spin_micros),
            }
        if transport in ("unix", "shm"):
            address = os.path.join(self._dir, "worker-0.sock")
            self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.listener.bind(address)
        else:
            self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.listener.bind(("127.0.0.1", 0))
            address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.listener.listen(1)
        self.listener.settimeout(TIMEOUT)
        environ = dict(os.environ)
        environ.update(env or {})
        environ.update(
            {
                # As the processor sets it (processor/src/runtime/python.rs).
                "PYTHONPATH": os.pathsep.join((str(SDK_SRC), str(WRAPPER_DIR))),
                "PYTHONUNBUFFERED": "1",
                "FERRITE_PROTOCOL": "1",
                "FERRITE_TRANSPORT": transport,
                "FERRITE_ADDRESS": address,
                "FERRITE_CODEC": codec,
                "FERRITE_TOKEN": self.token,
                "FERRITE_HANDLER": handler,
                "FERRITE_FUNCTION_DIR": str(function_dir),
                "FERRITE_FUNCTION_NAME": "test-function",
                "FERRITE_WORKER_ID": "3",
                "FERRITE_LOG_LEVEL": log_level,
                **transport_env,
            }
        )
        self.process = subprocess.Popen(
            [sys.executable, str(WRAPPER)],
            cwd=function_dir,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        sock, _ = self.listener.accept()
        if self._segment is not None:
            peer = ShmTransport(self._segment, sock, spin_micros, timeout=TIMEOUT)
        else:
            sock.settimeout(TIMEOUT)
            peer = SocketTransport(sock)
        self.conn = Connection(peer, processor_codec_for(codec))
        self._inbox: list[Message] = []

    def send(self, kind: int, payload: dict) -> None:
        self.conn.send(self.conn.codec.encode(kind, payload))

    def send_many(self, messages: list[Message]) -> None:
        """Writes several messages in one go, as a pipelining processor does."""
        for kind, payload in messages:
            self.conn.queue(self.conn.codec.encode(kind, payload))
        self.conn.flush()

    def receive(self) -> Message | None:
        """The wrapper's next message; ``None`` once it closed the connection."""
        if not self._inbox:
            messages = self.conn.receive()
            if messages is None:
                return None
            self._inbox.extend(messages)
        return self._inbox.pop(0)

    def event(self, event_id: int, body: bytes = b"", **fields) -> None:
        self.send(EVENT, event_payload(event_id, body, **fields))

    def wait(self) -> int:
        """The wrapper's exit status; then ``self.stdout`` and ``self.stderr`` hold its
        output."""
        try:
            out, err = self.process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        self.stdout = out.decode("utf-8", "replace")
        self.stderr = err.decode("utf-8", "replace")
        return self.process.returncode

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        self.conn.transport.close()
        self.listener.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> FakeProcessor:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
