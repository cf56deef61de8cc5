"""``/v1``: the IT staff API (token-authenticated, scoped, audited)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.http.v1.audit import router as audit_router
from app.http.v1.holds import router as holds_router
from app.http.v1.jobs import router as jobs_router
from app.http.v1.people import router as people_router
from app.http.v1.reports import router as reports_router
from app.http.v1.sync import router as sync_router


def install_v1(app: FastAPI) -> None:
    for router in (people_router, jobs_router, holds_router, audit_router, sync_router, reports_router):
        for route in router.routes:
            if isinstance(route, APIRoute):
                _document_scope(route)
        app.include_router(router, prefix="/v1")


def _document_scope(route: APIRoute) -> None:
    """Name in the OpenAPI document the scope each operation needs (bearer schemes have no
    scopes of their own); it is read off the ``require_<scope>`` dependency."""
    for dependency in route.dependant.dependencies:
        name = getattr(dependency.call, "__name__", "")
        if name.startswith("require_"):
            scope = name.removeprefix("require_").replace("_", ":", 1)
            note = f"Requires a token with the `{scope}` scope (or `admin`)."
            if note in (route.description or ""):
                return  # routers are module-level: a second app must not add it twice
            route.description = f"{route.description}\n\n{note}".strip() if route.description else note
            route.openapi_extra = {**(route.openapi_extra or {}), "x-required-scope": scope}
