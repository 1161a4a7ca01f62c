"""The ``unix`` transport: a unix domain socket, ``FERRITE_ADDRESS`` its path."""

from __future__ import annotations

import socket

from .stream import SocketTransport

__all__ = ["UnixTransport"]


class UnixTransport(SocketTransport):
    """A connection over a unix domain socket (the processor's default)."""

    @classmethod
    def connect(cls, address: str, config: object = None) -> UnixTransport:
        """Connects to the socket file at ``address`` (the config adds nothing)."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(address)
        except BaseException:
            sock.close()
            raise
        return cls(sock)
