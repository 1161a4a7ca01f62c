"""The worker: one wrapper's conversation with the processor, in the shape every ferrite
wrapper has: hello, load handler, init, ready, loop (event -> response, log), until
shutdown.

It takes its inputs as arguments (a :class:`~ferrite_wrapper.connection.Connection`, a
:class:`~ferrite_wrapper.config.Config`), so tests drive it in-process over a socket
pair; ``wrappers/python/wrapper.py`` builds both from the environment.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import platform
import sys
import traceback
from typing import Any, Callable

from ferrite_sdk import Context, Event, Logger, Response
from ferrite_sdk.logger import plain
from ferrite_sdk.response import to_wire

from .config import Config
from .connection import Connection
from .protocol import (
    EVENT,
    HELLO,
    INIT_ERROR,
    KIND_NAMES,
    LOG,
    PING,
    PONG,
    PROTOCOL_VERSION,
    READY,
    RESPONSE,
    SHUTDOWN,
    ProtocolError,
)

__all__ = ["Worker", "describe", "load_handler"]

Handler = Callable[[Context, Event], Any]


def describe(exc: BaseException) -> str:
    """An exception as one line a user can act on: ``ValueError: boom``.

    Like the last line of a traceback, but the message of a ``SyntaxError`` keeps its
    file and line, newlines become spaces, and text that cannot be UTF-8 (lone
    surrogates) is escaped so the line can always be sent.
    """
    kind = type(exc)
    name = kind.__qualname__
    if kind.__module__ not in ("builtins", "__main__"):
        name = f"{kind.__module__}.{name}"
    try:
        text = str(exc)
    except Exception:
        text = "<exception str() failed>"
    line = f"{name}: {text}" if text else name
    line = " ".join(line.splitlines())
    return line.encode("utf-8", "backslashreplace").decode("utf-8")


def load_handler(spec: str, function_dir: str) -> tuple:
    """``(module, handler)`` for a ``module:function`` spec, imported from the function
    directory. Failures raise the exception a user would see in a traceback."""
    module_name, sep, attribute = spec.partition(":")
    if module_name.endswith(".py"):
        module_name = module_name[:-3]
    if not sep or not module_name or not attribute:
        raise ValueError(
            f"handler {spec!r} is not of the form module:function, e.g. main:handler"
        )
    if function_dir not in sys.path:
        sys.path.insert(0, function_dir)
    module = importlib.import_module(module_name)
    handler: Any = module
    for part in attribute.split("."):
        handler = getattr(handler, part)
    if not callable(handler):
        raise TypeError(
            f"handler {spec!r} is a {type(handler).__name__}, not a function"
        )
    return module, handler


# Results that are surely not awaitable, so the common case skips inspect.isawaitable.
_SYNC_RESULTS = frozenset(
    {str, bytes, bytearray, dict, list, tuple, type(None), int, float, bool, Response}
)


def _scrubbed(value: Any) -> Any:
    """``value`` with text made UTF-8-safe, for a log line that failed to encode."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_scrubbed(key): _scrubbed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    return value


class Worker:
    """One wrapper's conversation with the processor over a :class:`Connection`."""

    def __init__(self, conn: Connection, config: Config) -> None:
        self.conn = conn
        self.config = config
        self._encode = conn.codec.encode
        self.logger = Logger(self.log, config.log_level)
        self.context = Context(
            logger=self.logger,
            worker_id=config.worker_id,
            function_name=config.function_name,
        )
        self.module: Any = None
        self.handler: Handler | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def run(self) -> int:
        """The whole conversation; the process's exit status."""
        self.hello()
        try:
            self.load_handler()
            self.init()
        except (Exception, SystemExit) as exc:
            self.init_error(exc)
            return 1
        self.ready()
        return self.loop()

    def hello(self) -> None:
        """Introduces the wrapper, before any user code can fail."""
        pypy = platform.python_implementation() == "PyPy"
        self.conn.send(
            self._encode(
                HELLO,
                {
                    "protocol": PROTOCOL_VERSION,
                    "token": self.config.token,
                    "runtime": "pypy" if pypy else "python",
                    "runtime_version": platform.python_version(),
                    "pid": os.getpid(),
                    "concurrency": 1,
                },
            )
        )

    def load_handler(self) -> None:
        """Imports the user's module and finds the handler ``FERRITE_HANDLER`` names."""
        self.module, self.handler = load_handler(
            self.config.handler, self.config.function_dir
        )

    def init(self) -> None:
        """Runs the module's ``init_context(context)`` once, if it has one."""
        init_context = getattr(self.module, "init_context", None)
        if init_context is None:
            return
        if not callable(init_context):
            raise TypeError(
                f"init_context is a {type(init_context).__name__}, not a function"
            )
        result = init_context(self.context)
        if inspect.isawaitable(result):
            self._await(result)

    def init_error(self, exc: BaseException) -> None:
        """Tells the processor why the handler did not load (the process then exits)."""
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.conn.send(
            self._encode(
                INIT_ERROR,
                {"message": describe(exc), "detail": _scrubbed(detail)},
            )
        )

    def ready(self) -> None:
        """Tells the processor events may come."""
        self.conn.send(self._encode(READY, {}))

    def loop(self) -> int:
        """Answers events in the order they come until ``shutdown`` or the end of the
        stream; the exit status.

        One read takes every event the processor pipelined. Each response is written
        before the next event starts, though, rather than once per read: when a worker
        dies or times out, the processor blames the oldest unanswered event
        (PROTOCOL.md, section 6), so a finished event must not wait in our buffer behind
        a running one. Pongs wait for the end of the read.
        """
        conn = self.conn
        receive = conn.receive
        send = conn.send
        handle_event = self.handle_event
        while True:
            messages = receive()
            if messages is None:
                conn.flush()
                return 0
            for kind, payload in messages:
                if kind == EVENT:
                    send(handle_event(payload))
                elif kind == PING:
                    conn.queue(self._encode(PONG, {"nonce": payload.get("nonce", 0)}))
                elif kind == SHUTDOWN:
                    conn.flush()
                    return 0
                else:
                    raise ProtocolError(
                        f"unexpected {KIND_NAMES[kind]} message from the processor"
                    )
            conn.flush()

    def handle_event(self, payload: dict[str, Any]) -> bytes:
        """Runs the handler on one event; the ``response`` frame, even if it raised."""
        body = payload.get("body")
        if type(body) is memoryview:
            # The flatbuffers codec's body is a view of the read buffer, which the next
            # read overwrites: the handler gets bytes, the one copy the body costs.
            payload["body"] = body.tobytes()
        try:
            event = Event.from_wire(payload)
        except KeyError:
            raise ProtocolError("malformed event message: no id") from None
        event_id = event.id
        context = self.context
        logger = self.logger
        context.trigger = event.trigger
        logger.event_id = event_id
        try:
            result = self.handler(context, event)
            if type(result) not in _SYNC_RESULTS and inspect.isawaitable(result):
                result = self._await(result)
            status, headers, content_type, body = to_wire(result)
            return self._encode(
                RESPONSE,
                {
                    "id": event_id,
                    "status": status,
                    "headers": headers,
                    "content_type": content_type,
                    "body": body,
                },
            )
        except (Exception, asyncio.CancelledError) as exc:
            return self._failure(event_id, exc)
        finally:
            context.trigger = None
            logger.event_id = None

    def _failure(self, event_id: int, exc: BaseException) -> bytes:
        """The 500 for a handler that raised, after an error log with the traceback."""
        message = describe(exc)
        tb = exc.__traceback__
        if tb is not None and tb.tb_next is not None:
            tb = tb.tb_next  # skip handle_event's own frame: the user's code is next
        self.log(
            "error",
            f"handler raised {message}",
            {"traceback": "".join(traceback.format_exception(type(exc), exc, tb))},
            event_id,
        )
        return self._encode(
            RESPONSE,
            {
                "id": event_id,
                "status": 500,
                "headers": {},
                "content_type": "",
                "body": message.encode("utf-8"),
                "error": message,
            },
        )

    def log(
        self,
        level: str,
        message: str,
        fields: dict[str, Any] | None,
        event_id: int | None,
    ) -> None:
        """The logger's sink: a ``log`` frame, written at once (after queued frames)."""
        payload: dict[str, Any] = {"level": level, "message": message}
        if event_id is not None:
            payload["id"] = event_id
        if fields:
            payload["fields"] = plain(fields)
        try:
            frame = self._encode(LOG, payload)
        except UnicodeError:  # lone surrogates cannot be UTF-8
            frame = self._encode(LOG, _scrubbed(payload))
        self.conn.send(frame)

    def _await(self, awaitable: Any) -> Any:
        """Runs a coroutine to its end on the wrapper's one event loop."""
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
        return loop.run_until_complete(awaitable)
