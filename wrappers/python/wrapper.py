"""ferrite's Python wrapper: runs one worker of a function with a nuclio-style handler.

The processor starts it as ``python3 wrappers/python/wrapper.py`` (or ``pypy3``) in the
function directory, with ``sdk-python/src`` and ``wrappers/python`` on ``PYTHONPATH``
and the ``FERRITE_*`` variables of ``schemas/PROTOCOL.md`` set. This file reads the
config, connects the transport, picks the codec and runs the worker
(:mod:`ferrite_wrapper`); its exit status is the process's.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Mapping

from ferrite_wrapper.codec import codec_for
from ferrite_wrapper.config import Config
from ferrite_wrapper.connection import Connection
from ferrite_wrapper.protocol import PROTOCOL_VERSION, ProtocolError
from ferrite_wrapper.transport import connect
from ferrite_wrapper.worker import Worker


def main(environ: Mapping[str, str] | None = None) -> int:
    """Runs a wrapper configured by ``FERRITE_*`` variables; the exit status."""
    if environ is None:
        environ = os.environ
    _line_buffered()
    try:
        config = Config.from_env(environ)
    except ValueError as exc:
        _complain(str(exc))
        return 1
    protocol = environ.get("FERRITE_PROTOCOL")
    if protocol and protocol != str(PROTOCOL_VERSION):
        # Not fatal here: hello says which version this is, and the processor decides.
        _complain(
            f"the processor speaks protocol {protocol}, this wrapper {PROTOCOL_VERSION}"
        )
    try:
        transport = connect(config.transport, config.address, config)
    except (OSError, ValueError) as exc:
        _complain(f"cannot connect to {config.transport} {config.address}: {exc}")
        return 1
    conn = Connection(transport, codec_for(config.codec))
    try:
        return Worker(conn, config).run()
    except ProtocolError as exc:
        _complain(f"protocol error, stopping: {exc}")
        return 1
    except ConnectionError as exc:
        _complain(f"connection to the processor lost: {exc}")
        return 0
    finally:
        conn.close()


def _line_buffered() -> None:
    """Handler prints reach the processor's log promptly, even without
    ``PYTHONUNBUFFERED``."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(line_buffering=True)


def _complain(message: str) -> None:
    print(f"ferrite python wrapper: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
