"""One id per HTTP request on every log line the request causes, and on its response.

A request's lines (the webhook's ``webhook_stored``, a refused token, an ``unhandled_error``)
are written by different modules and, for blocking work, in a worker thread; structlog's
context variables carry the id to all of them without each call passing it. The id is the
caller's ``X-Request-ID`` when it is a plausible id (so a proxy's or Sofia Plus's id joins
both logs), else a fresh one; either way it is echoed in the response's ``X-Request-ID``.

The caller's value is only accepted as a short token of letters, digits and ``-_.:``: it is
written to every log line, so anything longer or stranger (a header meant to break the JSON
log, or a whole payload) is replaced, never logged.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.contextvars import bound_contextvars

HEADER = "x-request-id"
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's id if it is sane, else a new one."""
    for name, value in headers:
        if name.lower() == HEADER.encode():
            given = value.decode("latin-1")
            return given if _SANE.fullmatch(given) else new_request_id()
    return new_request_id()


class _Ids:
    """Unique ids without a system call per request: a random prefix per process, then a
    counter. ``uuid4()`` reads ``os.urandom``, which releases the GIL, and on a busy API the
    event loop then waits for a writer thread's whole switch interval to get it back."""

    def __init__(self) -> None:
        self.restart()
        os.register_at_fork(after_in_child=self.restart)  # a forked child draws its own prefix

    def restart(self) -> None:
        self._prefix = secrets.token_hex(10)
        self._counter = itertools.count()

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter):012x}"


new_request_id = _Ids().next


class RequestContext:
    """ASGI middleware: binds ``request_id`` for the request and sets the response header.
    Installed outermost, so the guard's own answers (431, the last-resort 500) carry it too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope["headers"])

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER.encode()]
                message = {**message, "headers": [*headers, (HEADER.encode(), request_id.encode())]}
            await send(message)

        with bound_contextvars(request_id=request_id):
            await self.app(scope, receive, send_with_id)
