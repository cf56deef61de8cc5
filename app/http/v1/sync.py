"""``/v1/sync-runs``: bulk reconciliation from a Sofia Plus roster — plan, look, apply."""

from __future__ import annotations

import tempfile
from datetime import datetime
from typing import Annotated, Any, BinaryIO, cast

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from app.db.models import SyncItem
from app.db.states import SyncItemState, SyncRunStatus
from app.errors import TooLargeError, UnsupportedMediaError
from app.http.problems import ProblemError
from app.http.v1.deps import Limit, PageToken, ServicesDep, problems
from app.http.v1.schemas import PageOf
from app.i18n import negotiate
from app.runtime.services import Services
from app.spreadsheet import ExportFormat
from app.staff.tokens import Caller, Scope, require
from app.sync.plan_export import plan_chunks
from app.sync.pull import pull_and_plan
from app.sync.queries import items_page, runs_page
from app.texts import Text
from sofia_sync.bulk_plan import PlanAction
from sofia_sync.contract import Instant
from sofia_sync.storable import StoredText

router = APIRouter(prefix="/sync-runs", tags=["bulk sync"])
Runner = Annotated[Caller, Depends(require(Scope.SYNC_RUN))]
RunId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MAX_ROSTER_BYTES = 200 * 1024 * 1024
ROSTER_TYPES = {
    "text/csv": "a CSV export",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "an XLSX export",
    "application/octet-stream": "either",
}


class SyncRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    created_by: str
    scope: str
    source_name: str
    exported_at: datetime
    status: SyncRunStatus = Field(description="planned, refused, applying or applied")
    counts: dict[str, int] = Field(description="People per planned action.")
    roster_rows: int
    roster_people: int
    bad_rows: int
    roster_errors: list[dict[str, Any]] = Field(
        description="Line and reason of the first bad rows "
        "(`reason` in the language Accept-Language asks for)."
    )
    managed_in_scope: int
    suspensions: int
    directory_calls: int = Field(description="Directory API calls the plan's snapshot spent.")
    refusal_code: str | None
    refusal_es: str | None
    refusal_en: str | None
    confirmed_by: str | None
    applied_at: datetime | None
    progress: dict[str, int] = Field(
        default_factory=dict, description="Items by state; reconciles still queued."
    )


class SyncItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    person_key: str
    first_names: str | None = Field(description="As the roster gave them (misena's, if absent from it).")
    last_names: str | None
    document: str | None = Field(description="The document number masked: never the whole number.")
    action: PlanAction = Field(description="`grace`: absent, suspended when the grace period ends.")
    detail: str = Field(description="Why, in English.")
    reason: str = Field(
        default="", description="Why, in the language Accept-Language asks for (English or Spanish)."
    )
    source: str
    state: SyncItemState

    @classmethod
    def of(cls, item: SyncItem, language: str) -> SyncItemOut:
        reason = (item.detail_es if language == "es" else None) or item.detail
        return cls.model_validate(item).model_copy(update={"reason": reason})


class ApplyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"confirm": 312}]})

    confirm: int | None = Field(
        default=None,
        ge=0,
        le=2**31 - 1,
        description=(
            "For a refused plan: the exact number of suspensions it makes. Confirmed, they pass "
            "the suspension brake once (still counted in its window)."
        ),
    )


class PullRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"scope": "centro:9229"}]})

    scope: Annotated[str, StoredText(64)] = Field(
        default="all", description="all, regional:<code> or centro:<code>"
    )


def sync_run_out(services: Services, run_id: int, language: str = "en") -> SyncRunOut:
    out = localized(SyncRunOut.model_validate(services.sync.show(run_id)), language)
    out.progress = services.sync.progress(run_id)
    return out


def localized(run: SyncRunOut, language: str) -> SyncRunOut:
    """The run with each bad row's reason in ``language`` (both were worded when planned)."""
    run.roster_errors = [
        {
            "line": error.get("line"),
            "reason": (error.get("reason_es") if language == "es" else None) or error.get("reason"),
            "kept": error.get("kept", False),
        }
        for error in run.roster_errors
    ]
    return run


AcceptLanguage = Annotated[str | None, Header(include_in_schema=False)]


@router.post(
    "",
    status_code=201,
    response_model=SyncRunOut,
    responses=problems(413, 415),
    summary="Plan a bulk sync from a roster export (the file is the request body)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in ROSTER_TYPES},
        }
    },
)
async def plan_sync(
    request: Request,
    services: ServicesDep,
    caller: Runner,
    scope: Annotated[
        Annotated[str, StoredText(64)], Query(description="all, regional:<code> or centro:<code>")
    ] = "all",
    source_name: Annotated[
        Annotated[str, StoredText(300)], Query(description="The export's file name, for the record.")
    ] = "roster",
    exported_at: Annotated[
        Instant | None, Query(description="When Sofia Plus exported it (default: now).")
    ] = None,
    accept_language: AcceptLanguage = None,
) -> SyncRunOut:
    media = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media not in ROSTER_TYPES:
        raise ProblemError(415, UnsupportedMediaError.title, Text("Send the roster as text/csv or XLSX."))
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_ROSTER_BYTES:
                raise ProblemError(
                    413, TooLargeError.title, Text("The limit is {limit} bytes.", limit=MAX_ROSTER_BYTES)
                )
            spool.write(chunk)
        spool.seek(0)
        run_id = await run_in_threadpool(
            services.sync.plan,
            cast(BinaryIO, spool),
            scope=scope,
            actor=caller.actor,
            source_name=source_name,
            exported_at=exported_at,
        )
    return await run_in_threadpool(sync_run_out, services, run_id, negotiate(accept_language))


@router.post(
    "/pull",
    status_code=201,
    response_model=SyncRunOut,
    responses=problems(
        409,
        413,
        502,
        notes={
            409: "No Sofia Plus roster URL is configured (`MISENA_SOFIA_ROSTER_URL`); nothing was pulled.",
            413: "The export Sofia Plus sent is larger than the roster limit.",
            502: "Sofia Plus failed or sent no roster; `detail` starts with the reason code "
            "(unreachable, timeout, token_refused, not_found, upstream_status, wrong_media_type, empty).",
        },
    ),
    summary="Plan a bulk sync from the roster Sofia Plus publishes (pulled over HTTP)",
)
async def pull_sync(
    services: ServicesDep, caller: Runner, body: PullRequest, accept_language: AcceptLanguage = None
) -> SyncRunOut:
    """Downloads the export for the scope from the configured Sofia Plus endpoint and plans it
    exactly as an uploaded one (`POST /v1/sync-runs`): nothing changes until it is applied."""
    run_id = await run_in_threadpool(
        pull_and_plan,
        services.settings,
        services.sync,
        scope=body.scope,
        actor=caller.actor,
        max_bytes=MAX_ROSTER_BYTES,
    )
    return await run_in_threadpool(sync_run_out, services, run_id, negotiate(accept_language))


@router.get("", response_model=PageOf[SyncRunOut], responses=problems(400), summary="Sync runs, newest first")
def list_sync_runs(
    services: ServicesDep,
    _: Runner,
    limit: Limit = 20,
    page_token: PageToken = None,
    accept_language: AcceptLanguage = None,
) -> PageOf[SyncRunOut]:
    language = negotiate(accept_language)
    with services.sessions() as session:
        page = runs_page(session, page_token=page_token, limit=limit)
        items = [localized(SyncRunOut.model_validate(run), language) for run in page.items]
    return PageOf(items=items, next_page_token=page.next_page_token)


@router.get(
    "/{run_id}",
    response_model=SyncRunOut,
    responses=problems(404),
    summary="One run: counts, refusal, progress",
)
def get_sync_run(
    services: ServicesDep, _: Runner, run_id: RunId, accept_language: AcceptLanguage = None
) -> SyncRunOut:
    return sync_run_out(services, run_id, negotiate(accept_language))


@router.get(
    "/{run_id}/items",
    response_model=PageOf[SyncItemOut],
    responses=problems(400, 404),
    summary="The plan, person by person",
)
def list_sync_items(
    services: ServicesDep,
    _: Runner,
    run_id: RunId,
    action: PlanAction | None = None,
    state: SyncItemState | None = None,
    limit: Limit = 50,
    page_token: PageToken = None,
    accept_language: AcceptLanguage = None,
) -> PageOf[SyncItemOut]:
    sync_run_out(services, run_id)
    language = negotiate(accept_language)
    with services.sessions() as session:
        page = items_page(
            session,
            run_id,
            action=action.value if action else None,
            state=state,
            page_token=page_token,
            limit=limit,
        )
        items = [SyncItemOut.of(item, language) for item in page.items]
    return PageOf(items=items, next_page_token=page.next_page_token)


@router.get(
    "/{run_id}/plan.csv",
    response_class=StreamingResponse,
    responses={
        **problems(404),
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "The whole plan, one row per person: names as the roster gave them, the "
            "masked document, action, reason, source and state. `format=excel` (the default): "
            "`;`-separated UTF-8 with a byte-order mark, Spanish headers, actions and reasons, "
            "as Excel opens it on a Spanish-locale Windows. `format=csv`: `,`-separated UTF-8 "
            "without BOM, English headers and the action codes.",
        },
    },
    summary="Export the plan for review (Excel, or plain CSV)",
)
def export_sync_plan(
    services: ServicesDep,
    _: Runner,
    run_id: RunId,
    export: Annotated[
        ExportFormat, Query(alias="format", description="excel (default) or csv.")
    ] = ExportFormat.EXCEL,
) -> StreamingResponse:
    sync_run_out(services, run_id)
    return StreamingResponse(
        plan_chunks(services.sync.export_rows(run_id), export),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="sync-{run_id}.csv"',
            "Content-Language": export.language,
        },
    )


@router.post(
    "/{run_id}/apply",
    response_model=SyncRunOut,
    responses=problems(404, 409),
    summary="Apply a plan (queue its work)",
)
async def apply_sync(
    services: ServicesDep,
    caller: Runner,
    run_id: RunId,
    body: ApplyRequest,
    accept_language: AcceptLanguage = None,
) -> SyncRunOut:
    await run_in_threadpool(lambda: services.sync.apply(run_id, actor=caller.actor, confirm=body.confirm))
    return await run_in_threadpool(sync_run_out, services, run_id, negotiate(accept_language))
