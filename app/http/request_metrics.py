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
from weakref import WeakKeyDictionary

from prometheus_client import Counter, Histogram
from starlette.routing import compile_path
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
    """The template of the route that answered, else of the one the path would have reached (a
    request answered before routing: the schema gate's 503, the guard's 431), else
    :data:`UNMATCHED`."""
    route = scope.get("route")
    if route is None:
        return _unrouted_template(scope) or UNMATCHED
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


#: Each app's templates, compiled the first time a request is answered before routing.
_TEMPLATES: WeakKeyDictionary[Any, list[tuple[re.Pattern[str], str]]] = WeakKeyDictionary()


def _unrouted_template(scope: Scope) -> str | None:
    app = scope.get("app")
    if app is None:
        return None
    templates = _TEMPLATES.get(app)
    if templates is None:
        templates = _TEMPLATES[app] = _templates_of(app)
    path = scope["path"]
    return next((template for pattern, template in templates if pattern.match(path)), None)


def _templates_of(app: Any) -> list[tuple[re.Pattern[str], str]]:
    """Every path template the app serves: its own routes', and the OpenAPI document's, which
    names the routes included under a prefix whole in every FastAPI version."""
    found = [getattr(route, "path_format", None) for route in getattr(app, "routes", ())]
    openapi = getattr(app, "openapi", None)
    if callable(openapi):
        found += list(openapi().get("paths", {}))
    unique = dict.fromkeys(template for template in found if isinstance(template, str))
    return [(compile_path(template)[0], template) for template in unique]


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
