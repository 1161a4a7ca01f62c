"""What the socket transports share: a connected stream socket, read and written as
it is."""

from __future__ import annotations

import socket

__all__ = ["SocketTransport"]


class SocketTransport:
    """A :class:`~ferrite_wrapper.transport.Transport` over a connected stream socket.

    ``read_into`` and ``write`` are the socket's own ``recv_into`` and ``sendall``,
    bound once here, so a read or a write costs what it cost on the bare socket.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.read_into = sock.recv_into
        self.write = sock.sendall

    def close(self) -> None:
        self.sock.close()
