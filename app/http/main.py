"""The FastAPI application: the Sofia Plus webhook, health probes, metrics.

``create_app`` takes ready :class:`~app.runtime.services.Services`, so tests, the demo and production
wire the same app with different parts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Body, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import Counter
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from structlog.contextvars import bound_contextvars

from app.console import install_console
from app.errors import MisenaError, TooLargeError
from app.http.docs import OPENAPI_URL, install_docs
from app.http.guard import HttpGuard
from app.http.health import install_health
from app.http.openapi import install_openapi
from app.http.problems import (
    PROBLEM_JSON,
    Problem,
    ProblemError,
    http_exception_handler,
    misena_error_handler,
    problem_error_handler,
    request_validation_handler,
    status_of,
)
from app.http.request_context import RequestContext
from app.http.request_metrics import RequestMetrics
from app.http.v1 import install_v1
from app.people.intake import (
    MAX_BODY_BYTES,
    WebhookVerifier,
    check_content_type,
    decode_json,
    parse_contract,
    webhook_id_of,
)
from app.people.intake_writer import IntakeWriter
from app.runtime.services import Services
from app.runtime.worker import WorkerPool
from app.runtime.worker_process import WorkerProcess
from app.texts import Text
from sofia_sync.contract import EVENT_EXAMPLES, Event

WEBHOOKS = Counter("misena_webhooks_total", "Sofia Plus webhooks answered", ["status"])
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {
        "model": Problem,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        "description": text_,
    }
    for code, text_ in {
        401: "Signature missing, malformed, wrong or stale.",
        413: "Body over 256 KiB.",
        415: "Not JSON.",
        422: "An event that can never be stored or acted on (it breaks the contract, nests "
        "deeper than 32 levels, holds a number over 100 digits, NUL or a lone surrogate, or a "
        "`webhook-id` over 200 characters); `errors` names the fields. Do not retry it.",
        431: "A header over 8 KiB, or headers over 32 KiB in all; `errors` names the header.",
        503: "The event cannot be stored right now; retry.",
    }.items()
}


class WebhookAccepted(BaseModel):
    status: str = "accepted"
    webhook_id: str
    duplicate: bool


async def _read_limited(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ProblemError(
            413, TooLargeError.title, Text("The limit is {limit} bytes.", limit=MAX_BODY_BYTES)
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ProblemError(
                413, TooLargeError.title, Text("The limit is {limit} bytes.", limit=MAX_BODY_BYTES)
            )
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(
    services: Services, *, run_worker: bool = False, worker_process: WorkerProcess | None = None
) -> FastAPI:
    """The service's app. ``run_worker`` runs a :class:`WorkerPool` in threads of this process
    (the demo, tests); ``worker_process`` is ``misena serve``'s worker in a child process,
    started and stopped with the app, so no worker load shares the API's process."""
    pool = WorkerPool(services) if run_worker else None
    writer = IntakeWriter(services.sessions, clock=services.clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if pool is not None:
            pool.start()
        if worker_process is not None:
            worker_process.start()
        yield
        await run_in_threadpool(writer.stop)
        if worker_process is not None:
            await run_in_threadpool(worker_process.stop)
        if pool is not None:
            await run_in_threadpool(pool.stop)

    app = FastAPI(
        title="misena",
        version="0.1.0",
        summary="Mi SENA Google Workspace accounts, kept in step with Sofia Plus.",
        lifespan=lifespan,
        # /docs and /redoc are install_docs's: FastAPI's own load their files from CDNs.
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    app.add_exception_handler(ProblemError, problem_error_handler)
    app.add_exception_handler(MisenaError, misena_error_handler)
    app.add_exception_handler(RequestValidationError, request_validation_handler)
    app.add_exception_handler(StarletteHTTPException, http_exception_handler)
    _webhook_routes(app, writer, services.verifier)
    install_health(app, pool, worker_process)
    install_v1(app)
    install_openapi(app)
    install_docs(app)
    install_console(app, services)
    app.add_middleware(HttpGuard)  # added late, so it wraps every other middleware (the schema gate too)
    app.add_middleware(RequestMetrics)  # counts the guard's answers too
    app.add_middleware(RequestContext)  # outermost: the guard's answers and log lines carry the id
    return app


def _webhook_routes(app: FastAPI, writer: IntakeWriter, verifier: WebhookVerifier) -> None:
    # The verifier is given once, not through a dependency: FastAPI's dependency resolution was
    # a tenth of a webhook's CPU (measured with py-spy), for a value that never changes.

    @app.post(
        "/webhooks/sofia-plus",
        status_code=202,
        response_model=WebhookAccepted,
        responses=PROBLEM_RESPONSES,
        tags=["webhooks"],
        summary="Receive a Sofia Plus event (Standard Webhooks signature)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SofiaPlusEvent"}}},
            }
        },
    )
    async def receive_sofia_plus(request: Request) -> JSONResponse:
        try:
            body = await _read_limited(request)
            verifier.verify(body, request.headers)
            webhook_id = webhook_id_of(request.headers)
            with bound_contextvars(webhook_id=webhook_id):
                check_content_type(request.headers.get("content-type"))
                payload = decode_json(body)
                event = parse_contract(payload)
                accepted = await writer.store(webhook_id, event, payload)
        except ProblemError as exc:
            WEBHOOKS.labels(str(exc.status)).inc()
            raise
        except MisenaError as exc:
            WEBHOOKS.labels(str(status_of(exc))).inc()
            raise
        WEBHOOKS.labels("202").inc()
        answer = WebhookAccepted(webhook_id=accepted.webhook_id, duplicate=accepted.duplicate)
        return JSONResponse(answer.model_dump(), status_code=202)

    @app.webhooks.post("sofia-plus")
    def sofia_plus_event(
        event: Annotated[Event, Body(openapi_examples={k: {"value": v} for k, v in EVENT_EXAMPLES.items()})],
    ) -> None:
        """What Sofia Plus sends to ``POST /webhooks/sofia-plus`` (see the contract)."""


def openapi_document() -> dict[str, Any]:
    from app.runtime.services import build_services
    from app.settings import Settings

    settings = Settings(demo_mode=True, database_url="sqlite://")
    return create_app(build_services(settings)).openapi()
