"""Every HTTP request as metrics and one access log line, by route template — never the raw path.

Pure ASGI middleware (not ``BaseHTTPMiddleware``, whose task group and memory streams cost a
measurable share of a webhook's CPU; see :class:`app.http.health.SchemaGateGuard`): it only
watches the ``http.response.start`` message go by and, when the request is done, counts it.

Labels stay bounded: the route is the template Starlette matched (``/v1/people/{person_id}``),
``unmatched`` for a path no route knows; a method outside HTTP's standard ones is ``other``. The
access line is misena's own (uvicorn's is off, see :func:`app.http.guard.uvicorn_options`):
uvicorn writes the raw path with its query string, and ``/v1/people?document=…`` would put a
document number in the log. Here the path is the route template, or for an unmatched path the
path with long digit runs and addresses masked; the query string is never logged.
"""

from __future__ import annotations

import re
import time
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.logging_setup import get_logger
from sofia_sync.normalize import mask_document

log = get_logger("misena.access")

REQUESTS = Counter(
    "misena_http_requests_total", "HTTP requests answered, by route template", ["route", "method", "status"]
)
REQUEST_SECONDS = Histogram(
    "misena_http_request_duration_seconds",
    "Seconds from a request's arrival to the end of its answer, by route template",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Probes and scrapes arrive every few seconds from the orchestrator and Prometheus: their
#: access lines are DEBUG, so the INFO log holds the requests people and Sofia Plus make.
QUIET_ROUTES = frozenset({"/livez", "/readyz", "/metrics"})
MAX_LOGGED_PATH = 200
_DIGITS = re.compile(r"\d{5,}")
_ADDRESS = re.compile(r"[^/@]+@")


def route_of(scope: Scope) -> str:
    """The template of the route that answered, else of the route the path matches (a request
    answered before routing: the schema gate's 503, a 431), else :data:`UNMATCHED`."""
    route = scope.get("route")
    if route is None:
        route = _matching_route(scope)
    template = _included_template(scope, route) or getattr(route, "path_format", None)
    return template if isinstance(template, str) else UNMATCHED


def _included_template(scope: Scope, route: Any) -> str | None:
    """The whole template of a route included with a prefix (``/v1`` + ``/people/{person_id}``).

    FastAPI before 0.16x copied included routes with the prefix in their own template; later
    versions match the router's own route in place (``scope["route"]`` is ``/people/{person_id}``)
    and keep the prefixed template on the effective route context they put in the scope. The
    tests pin the ``/v1/...`` label, so a FastAPI that moves it again fails them, not production.
    """
    fastapi_scope = scope.get("fastapi")
    context = fastapi_scope.get("effective_route_context") if isinstance(fastapi_scope, dict) else None
    if context is None or getattr(context, "original_route", None) is not route:
        return None
    template = getattr(context, "path", None)
    return template if isinstance(template, str) else None


def _matching_route(scope: Scope) -> Any:
    router = getattr(scope.get("app"), "router", None)
    partial = None
    for route in getattr(router, "routes", ()):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route
        if match is Match.PARTIAL and partial is None:
            partial = route  # the path is known, not with this method (a 405)
    return partial


def loggable_path(path: str) -> str:
    """A path no route knows, safe to log: digit runs (documents) and addresses masked."""
    masked = _ADDRESS.sub("***@", _DIGITS.sub(lambda found: mask_document(found.group()), path))
    return masked[:MAX_LOGGED_PATH]


class RequestMetrics:
    """Counts, times and logs each HTTP request (installed outside the guard, so its 431s and
    last-resort 500s are counted, and inside :class:`~app.http.request_context.RequestContext`,
    so the access line carries the request id)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # nothing answered: the server answers 500 (or drops the connection)

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            self._observe(scope, status, time.perf_counter() - started)

    @staticmethod
    def _observe(scope: Scope, status: int, seconds: float) -> None:
        route = route_of(scope)
        method = scope["method"] if scope["method"] in METHODS else "other"
        REQUESTS.labels(route, method, str(status)).inc()
        REQUEST_SECONDS.labels(route, method).observe(seconds)
        write = log.debug if route in QUIET_ROUTES else log.info
        write(
            "http_request",
            method=method,
            path=route if route != UNMATCHED else loggable_path(scope["path"]),
            route=route,
            status=status,
            duration_ms=round(seconds * 1000, 1),
        )
