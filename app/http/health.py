"""Health probes, metrics and the schema gate: how the service says it is failing.

* ``/livez`` — can *this process* make progress? It fails only when one of its own loops is
  wedged (no turn within ``MISENA_WORKER_STALL_SECONDS``) or has died, so the orchestrator
  restarts exactly the process that needs it. A database outage is not a liveness failure:
  restarting every replica would not bring the database back.
* ``/readyz`` — should traffic come here? Not while the database is unreachable or its schema
  is behind (webhooks could not be stored). It always reports the queue's health — jobs by
  state, the oldest due job's wait, dead jobs, this process's workers — and says *why* when
  not ready.
* While the schema is behind, webhooks and ``/v1`` answer 503 with ``Retry-After`` instead of
  failing on missing tables.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.types import ASGIApp, Receive, Scope, Send

from app.db.states import JobState
from app.http.guard import HttpGuard
from app.http.problems import Problem, problem_response
from app.http.request_metrics import RequestMetrics
from app.http.scrape_metrics import collect_for
from app.http.v1.deps import ServicesDep
from app.runtime.schema_gate import SchemaGate
from app.runtime.services import Services
from app.runtime.supervision import describe
from app.runtime.worker import WorkerPool
from app.runtime.worker_process import WorkerProcess

#: Paths that need the schema (everything else — probes, metrics, docs — works without it).
_GATED_PREFIXES = ("/webhooks/", "/v1/")


def liveness(pool: WorkerPool | None, stall_seconds: float) -> tuple[bool, dict[str, Any]]:
    """This process's loops: alive if none is wedged or dead (no pool: nothing to be wedged)."""
    if pool is None:
        return True, {"status": "ok"}
    stale = pool.heartbeats.stale(stall_seconds)
    dead = pool.dead_threads()
    ages = {name: round(age, 1) for name, age in pool.heartbeats.ages().items()}
    body: dict[str, Any] = {"status": "ok", "loops": ages}
    if stale or dead:
        body |= {"status": "stalled", "stalled": stale, "dead": dead}
        return False, body
    return True, body


def readiness(
    services: Services, pool: WorkerPool | None, worker_process: WorkerProcess | None = None
) -> tuple[bool, dict[str, Any]]:
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        return False, {"status": "unavailable", "reason": f"database unreachable ({describe(exc)})"}
    schema = services.schema.state()
    if not schema.current:
        return False, {"status": "unavailable", "reason": schema.reason, "migrations": schema.revision}
    try:
        queue = services.queue.health()
        held = services.brake.held_count()
    except Exception as exc:
        return False, {"status": "unavailable", "reason": f"database unreachable ({describe(exc)})"}
    body: dict[str, Any] = {
        "status": "ok",
        "migrations": schema.revision,
        "jobs": queue.counts,
        "oldest_due_job_seconds": round(queue.oldest_due_seconds, 1),
        "dead_jobs": queue.counts.get(JobState.DEAD, 0),
        # A held suspension is not unreadiness: the service works, IT staff have a decision to make.
        "suspensions_held": held,
        "workers": _workers(pool),
    }
    if worker_process is not None:
        # The child's own loops answer on its health port; here: is it running, how often restarted.
        body["worker_process"] = worker_process.status().as_dict()
    return True, body


def _workers(pool: WorkerPool | None) -> dict[str, Any] | None:
    if pool is None:
        return None
    beats = pool.heartbeats.snapshot()
    failing = sorted(name for name, beat in beats.items() if beat.failing_since is not None)
    return {"loops": len(beats), "failing": failing, "dead": pool.dead_threads()}


class SchemaGateGuard:
    """Pure ASGI middleware: 503 + ``Retry-After`` on webhooks and ``/v1`` while the schema is
    behind. Not ``@app.middleware("http")``: Starlette's ``BaseHTTPMiddleware`` runs every
    request through a task group and memory streams, a measurable share of a webhook's CPU."""

    def __init__(self, app: ASGIApp, schema: SchemaGate) -> None:
        self.app = app
        self._schema = schema

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"].startswith(_GATED_PREFIXES)
            and not self._schema.is_current()
        ):
            problem = Problem(status=503, title="Service not ready", detail=self._schema.state().reason)
            await problem_response(problem, headers={"Retry-After": "5"})(scope, receive, send)
            return
        await self.app(scope, receive, send)


def install_health(
    app: FastAPI, pool: WorkerPool | None, worker_process: WorkerProcess | None = None
) -> None:
    services: Services = app.state.services
    collect_for(services, pool)

    app.add_middleware(SchemaGateGuard, schema=services.schema)

    @app.get(
        "/livez",
        tags=["health"],
        summary="This process's loops are making progress",
        responses={503: {"description": "A loop of this process is wedged or dead: restart it."}},
    )
    def livez() -> JSONResponse:
        alive, body = liveness(pool, services.settings.worker_stall_seconds)
        return JSONResponse(body, status_code=200 if alive else 503)

    @app.get(
        "/readyz",
        tags=["health"],
        summary="Database reachable, schema current; queue health",
        responses={503: {"description": "Not ready; `reason` says why (database, schema)."}},
    )
    def readyz(services: ServicesDep) -> JSONResponse:
        ready, body = readiness(services, pool, worker_process)
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics", response_class=PlainTextResponse)
    def metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest().decode(), media_type=CONTENT_TYPE_LATEST)


def create_health_app(pool: WorkerPool) -> FastAPI:
    """The probes and metrics alone, for ``misena worker`` (a process without the API)."""
    app = FastAPI(title="misena worker", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.services = pool.services
    install_health(app, pool)
    app.add_middleware(HttpGuard)
    app.add_middleware(RequestMetrics)
    return app
