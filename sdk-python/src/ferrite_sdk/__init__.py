"""ferrite's Python SDK: the API handlers see, and the wrapper that runs them.

Handlers are nuclio's: ``def handler(context, event)`` returning a body or a
:class:`Response`, with an optional module-level ``init_context(context)``.

# Layout

- :mod:`ferrite_sdk.event`: :class:`Event`, its :class:`Trigger` and :class:`Headers`.
- :mod:`ferrite_sdk.response`: :class:`Response` and how return values become responses.
- :mod:`ferrite_sdk.logger`: :class:`Logger`, ``context.logger``.
- :mod:`ferrite_sdk.context`: :class:`Context`.
- :mod:`ferrite_sdk.protocol`: the wire protocol's message kinds and codecs.
- :mod:`ferrite_sdk.connection`: connecting to the processor; batched frame I/O.
- :mod:`ferrite_sdk.worker`: the wrapper itself: hello, load handler, init, ready, loop.
"""

from .context import Context
from .event import Event, Headers, Trigger
from .logger import Logger
from .response import Response

__all__ = ["Context", "Event", "Headers", "Logger", "Response", "Trigger"]
__version__ = "0.1.0"
