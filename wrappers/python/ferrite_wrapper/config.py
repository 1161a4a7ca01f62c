"""``Config``: what the processor tells a wrapper through ``FERRITE_*`` variables
(``schemas/PROTOCOL.md``, section 2)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ferrite_sdk.logger import parse_level

from .codec import CODECS
from .transport import TRANSPORTS

__all__ = ["Config"]

#: A second: spinning longer than that before sleeping is a misconfiguration.
MAX_SPIN_MICROS = 1_000_000


@dataclass(frozen=True)
class Config:
    """The settings of one wrapper process, read once at its start."""

    transport: str
    address: str
    codec: str
    token: str
    handler: str
    function_dir: str
    function_name: str
    worker_id: int
    log_level: str
    #: ``shm`` only: the segment file (``FERRITE_SHM_PATH``).
    shm_path: str = ""
    #: ``shm`` only: how long a read or write re-checks its ring before it sleeps on the
    #: doorbell (``FERRITE_SPIN_MICROS``).
    spin_micros: int = 0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Config:
        """Reads the variables; ``ValueError`` names the one missing or wrong."""
        address = environ.get("FERRITE_ADDRESS", "")
        if not address:
            raise ValueError("FERRITE_ADDRESS is not set")
        transport = _one_of(environ, "FERRITE_TRANSPORT", "unix", TRANSPORTS)
        codec = _one_of(environ, "FERRITE_CODEC", "msgpack", CODECS)
        worker_id = environ.get("FERRITE_WORKER_ID", "") or "0"
        if not worker_id.isdigit():
            raise ValueError(f"FERRITE_WORKER_ID={worker_id!r} is not a number")
        log_level = environ.get("FERRITE_LOG_LEVEL", "") or "info"
        try:
            parse_level(log_level)
        except ValueError as exc:
            raise ValueError(f"FERRITE_LOG_LEVEL: {exc}") from None
        shm_path = environ.get("FERRITE_SHM_PATH", "")
        if transport == "shm" and not shm_path:
            raise ValueError("FERRITE_SHM_PATH is not set (FERRITE_TRANSPORT=shm)")
        spin_micros = environ.get("FERRITE_SPIN_MICROS", "") or "0"
        if not spin_micros.isdigit() or int(spin_micros) > MAX_SPIN_MICROS:
            raise ValueError(
                f"FERRITE_SPIN_MICROS={spin_micros!r} is not a number of microseconds "
                f"from 0 to {MAX_SPIN_MICROS}"
            )
        return cls(
            transport=transport,
            address=address,
            codec=codec,
            token=environ.get("FERRITE_TOKEN", ""),
            handler=environ.get("FERRITE_HANDLER", ""),
            function_dir=environ.get("FERRITE_FUNCTION_DIR", "") or os.getcwd(),
            function_name=environ.get("FERRITE_FUNCTION_NAME", ""),
            worker_id=int(worker_id),
            log_level=log_level,
            shm_path=shm_path,
            spin_micros=int(spin_micros),
        )


def _one_of(
    environ: Mapping[str, str], variable: str, default: str, names: Mapping
) -> str:
    """The variable's value (``default`` when unset or empty), which must be a key of
    ``names``, the registration table of the codecs or transports."""
    value = environ.get(variable, "") or default
    if value not in names:
        raise ValueError(f"{variable}={value!r} is not one of {', '.join(names)}")
    return value
