"""The ``tcp`` transport: TCP on loopback, ``FERRITE_ADDRESS`` being ``HOST:PORT``."""

from __future__ import annotations

import socket

from .stream import SocketTransport

__all__ = ["TcpTransport"]


class TcpTransport(SocketTransport):
    """A connection over TCP, with Nagle's algorithm off."""

    @classmethod
    def connect(cls, address: str, config: object = None) -> TcpTransport:
        """Connects to ``HOST:PORT`` (an IPv6 host in brackets; the config adds
        nothing); ``ValueError`` for an address of another form."""
        host, sep, port = address.rpartition(":")
        if not sep or not port.isdigit():
            raise ValueError(f"tcp address {address!r} is not HOST:PORT")
        sock = socket.create_connection((host.strip("[]"), int(port)))
        # Frames are written whole; waiting to coalesce them only adds latency.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(sock)
