"""ferrite's Python SDK: the API handlers see, compatible with nuclio's.

Handlers are nuclio's: ``def handler(context, event)`` returning a body or a
:class:`Response`, with an optional module-level ``init_context(context)``. The
wrapper that runs them and speaks the wire protocol is ``wrappers/python``
(``ferrite_wrapper``); nothing here reads or writes a frame.

# Layout

- :mod:`ferrite_sdk.event`: :class:`Event`, its :class:`Trigger` and :class:`Headers`.
- :mod:`ferrite_sdk.response`: :class:`Response` and how return values become responses.
- :mod:`ferrite_sdk.logger`: :class:`Logger`, ``context.logger``, writing to a sink the
  wrapper gives it (stderr without one).
- :mod:`ferrite_sdk.context`: :class:`Context`.
"""

from .context import Context
from .event import Event, Headers, Trigger
from .logger import Logger
from .response import Response

__all__ = ["Context", "Event", "Headers", "Logger", "Response", "Trigger"]
__version__ = "0.1.0"
