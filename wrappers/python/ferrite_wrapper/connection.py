"""Framed, batched I/O over one transport's byte stream, whatever the codec.

Reads are batched: one read takes whatever the processor has written (it pipelines
several events ahead), and every complete frame in it is decoded at once; the codec
says where a frame ends. Frames to write can be queued and go out in one write on
:meth:`Connection.flush`.
"""

from __future__ import annotations

import threading

from .codec import Codec
from .protocol import Message, ProtocolError
from .transport import Transport

__all__ = ["Connection"]

#: Bytes asked of the transport per read: large, so a burst of events is one syscall.
RECV_SIZE = 1 << 20


class Connection:
    """A transport plus its codec, with a read buffer and a queue of frames to write."""

    def __init__(
        self, transport: Transport, codec: Codec, recv_size: int = RECV_SIZE
    ) -> None:
        self.transport = transport
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
        end of the stream. Raises :class:`ProtocolError` if it ends inside a frame.

        The messages may hold views of the read buffer (the flatbuffers codec's event
        bodies, see :meth:`Codec.decode`): they are valid until the next call, which
        reads into that buffer again."""
        decode = self.codec.decode
        read_into = self.transport.read_into
        view = self._read_view
        pending = self._pending
        while True:
            count = read_into(view)
            if not count:
                if pending:
                    raise ProtocolError(
                        f"connection closed in the middle of a frame "
                        f"({len(pending)} bytes pending)"
                    )
                return None
            chunk = view[:count]
            if pending:
                pending += chunk
                messages, used = decode(pending)
                if used:
                    # A new buffer for the rest rather than ``del pending[:used]``: the
                    # messages may hold views of this one (flatbuffers bodies), which
                    # must not see it resized under them (CPython refuses, PyPy lets
                    # the views shift).
                    pending = self._pending = pending[used:]
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
        """Writes every queued frame, in one write."""
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
        self.transport.write(data)

    def close(self) -> None:
        """Writes what is queued (if the peer still listens); closes the transport."""
        try:
            self.flush()
        except OSError:
            pass
        finally:
            self.transport.close()
