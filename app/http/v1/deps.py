"""Dependencies shared by the ``/v1`` routers: services, callers by scope, error responses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from app.http.problems import PROBLEM_JSON, Problem
from app.runtime.services import Services
from app.staff.tokens import Caller, Scope, require
from sofia_sync.storable import StoredText


async def get_services(request: Request) -> Services:
    """Async, though it awaits nothing: FastAPI runs a plain ``def`` dependency in its thread
    pool, a thread hand-off on every request (measurable on the webhook's path)."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
Reader = Annotated[Caller, Depends(require(Scope.ACCOUNTS_READ))]
Writer = Annotated[Caller, Depends(require(Scope.ACCOUNTS_WRITE))]
JobWriter = Annotated[Caller, Depends(require(Scope.JOBS_WRITE))]
Admin = Annotated[Caller, Depends(require(Scope.ADMIN))]
Limit = Annotated[int, Query(ge=1, le=200, description="Items per page.")]
PageToken = Annotated[
    Annotated[str, StoredText(200)] | None, Query(description="From the previous page's next_page_token.")
]


def problems(*codes: int, notes: Mapping[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem+json answers an operation may give; ``notes`` replaces
    the generic description of a status where the operation means something narrower."""
    text = {
        400: "Bad request (e.g. a page_token this API did not issue).",
        401: "No valid API token.",
        403: "The token lacks the scope this operation needs.",
        404: "No such resource.",
        409: "The action conflicts with the resource's state; nothing was changed.",
        413: "The body is too large.",
        415: "Unsupported media type.",
        422: "Invalid input; `errors` names the fields.",
        431: "A header over 8 KiB, or headers over 32 KiB in all; `errors` names the header.",
        502: "An upstream system failed or answered unusably; `detail` names the reason.",
        503: "Google could not be reached for a live read.",
        **(notes or {}),
    }
    # ``model`` puts Problem in the components (under the route's application/json, where
    # FastAPI files it); the schema must also sit under the media type the API answers with,
    # or clients and validators find no schema for the body they actually get.
    content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return {
        code: {"model": Problem, "content": content, "description": text[code]}
        for code in (401, 403, 422, 431, *codes)
    }
