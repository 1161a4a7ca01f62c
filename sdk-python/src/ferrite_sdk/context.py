"""``context``: what a handler and its ``init_context`` hook share within one worker."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from .event import Trigger
from .logger import Logger
from .response import Response

__all__ = ["Context"]


class Context:
    """nuclio's ``Context``, one per worker and kept for the worker's life.

    ``user_data`` is a plain namespace where ``init_context`` leaves state (clients,
    caches) for the handler. ``trigger`` is the current event's :class:`Trigger` while
    one runs, else ``None``. Handlers may also set attributes of their own on the
    context.
    """

    #: So handlers can write ``context.Response(...)`` without importing the SDK.
    Response = Response

    def __init__(
        self,
        logger: Logger | None = None,
        worker_id: int = 0,
        function_name: str = "",
        user_data: Any = None,
    ) -> None:
        self.logger = logger if logger is not None else Logger()
        self.worker_id = worker_id
        self.function_name = function_name
        self.user_data = user_data if user_data is not None else SimpleNamespace()
        self.trigger: Trigger | None = None

    def __repr__(self) -> str:
        return (
            f"Context(function_name={self.function_name!r}, "
            f"worker_id={self.worker_id!r}, trigger={self.trigger!r})"
        )
