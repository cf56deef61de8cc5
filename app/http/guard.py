"""HTTP-level safety: how uvicorn must serve misena, oversize headers, and the last-resort 500.

Sofia Plus keeps its connection alive and retries anything but a 2xx. Three things used to
break that connection instead of answering:

- **Headers over h11's 16 KiB** (a signature header of 80 to 200 KB): uvicorn answered a bare 400
  and closed while the client was still sending, so the client saw a reset. The production
  options below let h11 read a head of up to :data:`MAX_HEAD_BYTES`; :class:`HttpGuard` then
  refuses headers over :data:`MAX_HEADER_BYTES` (or all of them over
  :data:`MAX_HEADERS_TOTAL_BYTES`) with a 431 problem naming the header, on a connection that
  stays open. Beyond :data:`MAX_HEAD_BYTES` only uvicorn's own 400-and-close remains.
- **An unexpected exception**: Starlette's ``ServerErrorMiddleware`` answers 500 and re-raises,
  and uvicorn then closes the connection, so the *next* request on it is reset.
  :class:`HttpGuard` sits inside it, answers a 500 problem, logs ``unhandled_error`` once
  (exception type and code location; never its message, which may quote the input) and
  returns normally, so the connection survives. This is the safety net: no input is meant to
  reach it — anything that can never be stored is a 4xx before it is written.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http.problems import FieldError, Problem, problem_response
from app.logging_setup import get_logger

log = get_logger(__name__)

#: One header line (name and value). Real ones are well under 1 KiB; 8 KiB is what nginx and
#: Apache allow a line, and far above any Standard Webhooks signature list.
MAX_HEADER_BYTES = 8 * 1024
#: All headers of one request.
MAX_HEADERS_TOTAL_BYTES = 32 * 1024
MAX_HEADER_COUNT = 100
#: The head (request line and headers) h11 will buffer before giving up on a request: as much
#: as one body may be, so an oversize header is answered by :class:`HttpGuard` (a 431 that
#: keeps the connection) rather than by h11 (a 400 that closes it).
MAX_HEAD_BYTES = 256 * 1024
#: Longer than the idle timeout of a load balancer in front (60 s by default on AWS's): the
#: proxy must close an idle connection before the server does, or a request it sends just as
#: the server closes is reset. uvicorn's default is 5 s.
KEEP_ALIVE_SECONDS = 75


#: How long a thread may hold the GIL while another waits for it (CPython's default: 5 ms). The
#: API's event loop gives the GIL up at every socket call; with the webhook writer thread
#: storing a batch, each time it got it back up to 5 ms later. Measured with 32 concurrent
#: webhooks on SQLite: 526 → 625 requests/s at 1 ms.
API_SWITCH_INTERVAL_SECONDS = 0.001


def prepare_api_process() -> None:
    """What the API's process sets before serving (``misena serve``)."""
    sys.setswitchinterval(API_SWITCH_INTERVAL_SECONDS)


def uvicorn_options(*, host: str, port: int) -> dict[str, Any]:
    """The keyword arguments of ``uvicorn.run`` / ``uvicorn.Config`` for production.

    ``http="h11"`` pins the implementation whose limits are set (and tested) here: httptools,
    picked automatically when installed, has a fixed header limit and its own error paths.
    """
    return {
        "host": host,
        "port": port,
        "http": "h11",
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        # uvicorn leaves logging alone: its loggers propagate to the process's JSON pipeline
        # (app.logging_setup) at the level the process logs at. Its access line is off: it
        # carries the raw path and query; app.http.request_metrics writes one by route instead.
        "log_config": None,
        "log_level": None,
        "access_log": False,
        "server_header": False,
    }


def oversize_header(headers: list[tuple[bytes, bytes]]) -> FieldError | None:
    """The first limit ``headers`` break, naming the header (never its value), or ``None``."""
    if len(headers) > MAX_HEADER_COUNT:
        return FieldError(field="headers", message=f"more than {MAX_HEADER_COUNT} headers")
    total = 0
    for name, value in headers:
        size = len(name) + len(value)
        if size > MAX_HEADER_BYTES:
            return FieldError(
                field=name.decode("latin-1"), message=f"header larger than {MAX_HEADER_BYTES} bytes"
            )
        total += size
    if total > MAX_HEADERS_TOTAL_BYTES:
        return FieldError(
            field="headers", message=f"headers larger than {MAX_HEADERS_TOTAL_BYTES} bytes in all"
        )
    return None


def _where(exc: BaseException) -> list[str]:
    """The innermost frames as ``file:line function`` — where, without any value."""
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    return [f"{Path(frame.filename).name}:{frame.lineno} {frame.name}" for frame in frames]


class HttpGuard:
    """Pure ASGI middleware (no ``BaseHTTPMiddleware``: it must not buffer or re-raise)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = oversize_header(scope["headers"])
        if refused is not None:
            problem = Problem(
                status=431,
                title="Request header fields too large",
                detail="Send smaller headers; see errors for the one to fix.",
                errors=[refused],
            )
            await problem_response(problem)(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception as exc:
            log.error(
                "unhandled_error",
                method=scope.get("method"),
                path=scope.get("path"),
                error=type(exc).__name__,
                where=_where(exc),
                response_started=started,
            )
            if started:  # nothing can be answered any more; uvicorn ends the connection
                return
            problem = Problem(
                status=500, title="Internal error", detail="Logged as unhandled_error; retry later."
            )
            await problem_response(problem)(scope, receive, send)
