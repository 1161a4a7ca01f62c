"""The ``shm`` transport: two byte rings in a shared-memory segment, with a unix socket
beside them for the doorbells (``schemas/PROTOCOL.md``, section 2, "shm").

The rings and the waiting are C (``wrappers/native/ferrite_ring.c`` and
``wrappers/python/native/shm_io.c``), reached through cffi: its compiled module
``_ring`` is built per interpreter by ``native/build_ring.py`` (``scripts/install-deps``
runs it for CPython and PyPy). cffi rather than the C API, because PyPy runs C-API
extensions through its slow emulation layer but calls cffi functions from JIT-compiled
code; and its API mode rather than ABI mode, because a call costs CPython a half to a
third as much (no libffi) and PyPy the same (measured: README.md).

A read takes every byte the ring holds, up to the connection's buffer, in one call; a
write puts a whole batch in, in one call. Either re-checks its ring for
``FERRITE_SPIN_MICROS``, then announces its sleep and blocks on the doorbell, without
the GIL, so handler threads go on running.
"""

from __future__ import annotations

import errno
import os
import socket
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["ShmTransport"]


def _ring() -> Any:
    """The cffi module, imported on first use: the other transports work without it."""
    try:
        from . import _ring
    except ImportError as exc:
        raise OSError(
            f"the shm transport's native module is not built for this interpreter "
            f"(run scripts/install-deps): {exc}"
        ) from None
    return _ring


class ShmTransport:
    """One side's ends of a segment's two rings, plus the doorbell socket.

    The wrapper holds the ends :meth:`connect` opens; the tests' stand-in processor
    holds those of a segment it created. Reads come from one thread; writes may come
    from several, one at a time (:class:`~ferrite_wrapper.connection.Connection` holds
    a lock around them).
    """

    def __init__(
        self, endpoint: Any, sock: socket.socket, spin_micros: int = 0, timeout=None
    ) -> None:
        """Takes over ``endpoint`` (a ``ferrite_ring_endpoint *``) and the connected
        ``sock``; a sleep on the doorbell raises ``TimeoutError`` after ``timeout``
        seconds (``None``: never)."""
        ring = _ring()
        self._ffi = ffi = ring.ffi
        self._lib = lib = ring.lib
        self.sock = sock
        self._endpoint = endpoint
        timeout_ms = -1 if timeout is None else int(timeout * 1000)
        self._io = lib.ferrite_shm_io_new(
            endpoint, sock.fileno(), spin_micros * 1000, timeout_ms
        )
        if self._io == ffi.NULL:
            lib.ferrite_ring_close(endpoint)
            raise MemoryError("shm transport")
        self._read = lib.ferrite_shm_io_read
        self._write = lib.ferrite_shm_io_write
        self._written = ffi.new("size_t *")
        # The connection reads into the same buffer every time: point C at it once.
        self._read_view: memoryview | None = None
        self._read_ptr = ffi.NULL

    @classmethod
    def connect(cls, address: str, config: Config | None = None) -> ShmTransport:
        """Maps and claims the segment at ``config.shm_path``, then connects to the
        doorbell socket at ``address``. ``OSError`` says why a segment is refused
        (not a segment, wrong version, already claimed by a wrapper)."""
        if config is None or not config.shm_path:
            raise ValueError("FERRITE_SHM_PATH is not set")
        ring = _ring()
        endpoint = _open_segment(ring, config.shm_path)
        # Claimed before connecting, as the protocol says: a refused segment never
        # reaches the doorbell, and the processor learns of it by the exit status.
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(address)
        except BaseException:
            sock.close()
            ring.lib.ferrite_ring_close(endpoint)
            raise
        return cls(endpoint, sock, config.spin_micros)

    def read_into(self, buffer: memoryview) -> int:
        """Reads what the ring holds into ``buffer``, blocking until it holds something;
        0 once the processor has gone and the ring is empty."""
        if buffer is not self._read_view:
            self._read_ptr = self._ffi.from_buffer(buffer)
            self._read_view = buffer
        while True:
            count = self._read(self._io, self._read_ptr, len(buffer))
            if count >= 0:
                return count
            self._fail_unless_interrupted()

    def write(self, data: bytes) -> None:
        """Writes all of ``data``, blocking while the ring is full.

        Blocking here with no read going on cannot deadlock: the processor reads its
        ring independently of writing its own, so the space comes.
        """
        ptr = self._ffi.from_buffer(data)
        left = len(data)
        while self._write(self._io, ptr, left, self._written):
            done = self._written[0]
            ptr += done
            left -= done
            self._fail_unless_interrupted()

    def _fail_unless_interrupted(self) -> None:
        """After a failed call: returns to try again if a signal interrupted it (its
        Python handler has run by then); otherwise raises the error."""
        code = self._ffi.errno
        if code != errno.EINTR:
            raise OSError(code, os.strerror(code))

    def close(self) -> None:
        """Closes the doorbell socket (the processor sees its end) and unmaps the
        segment."""
        io, self._io = self._io, self._ffi.NULL
        if io == self._ffi.NULL:
            return
        self.sock.close()
        self._lib.ferrite_shm_io_free(io)
        self._lib.ferrite_ring_close(self._endpoint)


def _open_segment(ring: Any, path: str) -> Any:
    """The wrapper's end of the segment at ``path``, checked and claimed."""
    ffi = ring.ffi
    out = ffi.new("ferrite_ring_endpoint **")
    message = ffi.new("char[512]")
    status = ring.lib.ferrite_ring_open(os.fsencode(path), out, message, len(message))
    if status != ring.lib.FERRITE_RING_OK:
        raise OSError(ffi.string(message).decode("utf-8", "replace"))
    return out[0]
