"""Transports: the byte stream between the wrapper and the processor, one module each.

A transport connects to ``FERRITE_ADDRESS`` (with whatever else its part of the
:class:`~ferrite_wrapper.config.Config` says), reads and writes bytes, and closes; it
knows nothing of frames (:class:`~ferrite_wrapper.connection.Connection` does). A new
one is a module with a class of the :class:`Transport` shape, plus its line in
:data:`TRANSPORTS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Protocol

from .shm import ShmTransport
from .stream import SocketTransport
from .tcp import TcpTransport
from .unix import UnixTransport

if TYPE_CHECKING:
    from ..config import Config

__all__ = [
    "TRANSPORTS",
    "ShmTransport",
    "SocketTransport",
    "TcpTransport",
    "Transport",
    "UnixTransport",
    "connect",
]


class Transport(Protocol):
    """A connected byte stream to the processor.

    The connection looks ``read_into`` and ``write`` up once per call of its own, so
    they may be plain attributes holding bound methods, as the socket transports'
    are, rather than methods of a class.
    """

    def read_into(self, buffer: memoryview) -> int:
        """Reads what has arrived into ``buffer``, blocking until something has; the
        count of bytes, 0 at the end of the stream."""
        ...

    def write(self, data: bytes) -> None:
        """Writes all of ``data``."""
        ...

    def close(self) -> None:
        """Closes the stream; the processor sees its end."""
        ...


#: ``FERRITE_TRANSPORT`` names to how each connects to a ``FERRITE_ADDRESS``, given the
#: config too.
TRANSPORTS: dict[str, Callable[[str, Config | None], Transport]] = {
    "unix": UnixTransport.connect,
    "tcp": TcpTransport.connect,
    "shm": ShmTransport.connect,
}


def connect(name: str, address: str, config: Config | None = None) -> Transport:
    """A transport named as in ``FERRITE_TRANSPORT``, connected to ``address``."""
    try:
        connect_to = TRANSPORTS[name]
    except KeyError:
        raise ValueError(
            f"unknown transport {name!r}: expected one of {', '.join(TRANSPORTS)}"
        ) from None
    return connect_to(address, config)
