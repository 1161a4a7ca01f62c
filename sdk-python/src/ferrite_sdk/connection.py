"""The wrapper's end of a transport: connect, then read and write framed messages.

Reads are batched: one ``recv_into`` takes whatever the processor has written (it
pipelines several events ahead), and every complete frame in it is decoded at once.
Frames to write can be queued and go out in one ``sendall`` on :meth:`flush`.
"""

from __future__ import annotations

import socket
import threading

from .protocol import Codec, Message, ProtocolError

__all__ = ["Connection", "connect"]

#: Bytes asked of the socket per read: large, so a burst of events is one syscall.
RECV_SIZE = 1 << 20


def connect(transport: str, address: str) -> socket.socket:
    """A socket connected to the processor (``FERRITE_TRANSPORT``, ``_ADDRESS``)."""
    if transport == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(address)
        except BaseException:
            sock.close()
            raise
        return sock
    if transport == "tcp":
        host, sep, port = address.rpartition(":")
        if not sep or not port.isdigit():
            raise ValueError(f"tcp address {address!r} is not HOST:PORT")
        sock = socket.create_connection((host.strip("[]"), int(port)))
        # Frames are written whole; waiting to coalesce them only adds latency.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise ValueError(f"unknown transport {transport!r}: expected unix or tcp")


class Connection:
    """A socket plus its codec, with a read buffer and a queue of frames to write."""

    def __init__(
        self, sock: socket.socket, codec: Codec, recv_size: int = RECV_SIZE
    ) -> None:
        self.sock = sock
        self.codec = codec
        self._read_buf = bytearray(recv_size)
        self._read_view = memoryview(self._read_buf)
        # Bytes of a frame not yet complete, carried over to the next read.
        self._pending = bytearray()
        self._out: list[bytes] = []
        # Handlers may log from threads of their own; frames must not interleave.
        self._write_lock = threading.Lock()

    def receive(self) -> list[Message] | None:
        """The next messages, blocking until there is at least one; ``None`` at a clean
        end of the stream. Raises :class:`ProtocolError` if it ends inside a frame."""
        decode = self.codec.decode
        pending = self._pending
        while True:
            count = self.sock.recv_into(self._read_view)
            if not count:
                if pending:
                    raise ProtocolError(
                        f"connection closed in the middle of a frame "
                        f"({len(pending)} bytes pending)"
                    )
                return None
            chunk = self._read_view[:count]
            if pending:
                pending += chunk
                messages, used = decode(pending)
                if used:
                    del pending[:used]
            else:
                # The common case: decode straight from the read buffer, no copy.
                messages, used = decode(chunk)
                if used < count:
                    pending += chunk[used:]
            chunk.release()
            if messages:
                return messages

    def queue(self, frame: bytes) -> None:
        """Adds a frame to the next :meth:`flush`."""
        with self._write_lock:
            self._out.append(frame)

    def flush(self) -> None:
        """Writes every queued frame, in one syscall when the socket takes them all."""
        with self._write_lock:
            self._write()

    def send(self, frame: bytes) -> None:
        """Writes a frame now, after any queued ones."""
        with self._write_lock:
            self._out.append(frame)
            self._write()

    def _write(self) -> None:
        out = self._out
        if not out:
            return
        data = out[0] if len(out) == 1 else b"".join(out)
        out.clear()
        self.sock.sendall(data)

    def close(self) -> None:
        """Writes what is queued (if the peer still listens) and closes the socket."""
        try:
            self.flush()
        except OSError:
            pass
        finally:
            self.sock.close()
