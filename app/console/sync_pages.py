"""Sync runs: upload a Sofia Plus roster (CSV in UTF-8 or Windows-1252, or XLSX), see the plan
with names and counts, apply it — a refused plan with the confirmation number (its suspensions).
Planning and applying are :class:`app.sync.runs.SyncRuns` (``services.sync``), as for
``/v1/sync-runs``; every page needs the ``sync:run`` scope, as there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.console.rendering import _, render
from app.console.web import RowId, back, posted, services_of, spanish_of, text_field, text_problem, viewer
from app.db.models import SyncRun
from app.errors import MisenaError
from app.runtime.services import Services
from app.staff.tokens import Scope
from app.sync.queries import items_page, runs_page

router = APIRouter()
#: People listed on a run's page; the whole plan is in ``GET /v1/sync-runs/{id}/plan.csv``.
PLAN_LINES = 200
MAX_ROSTER_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class PlanLine:
    document: str  # masked, as the plan's export shows it
    name: str
    action: str
    detail: str
    state: str


@router.get("/sync", response_class=HTMLResponse)
async def runs(request: Request) -> HTMLResponse:
    staff = await viewer(request, Scope.SYNC_RUN)
    listed = await run_in_threadpool(_runs, services_of(request))
    return render(request, "sync_runs.html.j2", staff, runs=listed)


def _runs(services: Services) -> list[SyncRun]:
    with services.sessions() as session:
        found = list(runs_page(session, limit=20).items)
        session.expunge_all()
        return found


@router.post("/sync", response_class=RedirectResponse)
async def upload(request: Request) -> RedirectResponse:
    staff, form = await posted(request, Scope.SYNC_RUN)
    roster = form.get("roster")
    if not isinstance(roster, UploadFile) or not roster.filename:
        return back(request, "/sync", "error", _("Choose the roster file to upload."))
    if roster.size is not None and roster.size > MAX_ROSTER_BYTES:
        return back(request, "/sync", "error", _("The file is larger than 200 MB."))
    scope = text_field(form, "scope") or "all"
    problem = text_problem(_("Scope"), scope, 64) or text_problem(_("Roster file"), roster.filename, 300)
    if problem is not None:
        return back(request, "/sync", "error", problem)
    services = services_of(request)
    try:
        run_id = await run_in_threadpool(
            services.sync.plan,
            roster.file,
            scope=scope,
            actor=staff.actor,
            source_name=roster.filename,
        )
    except MisenaError as exc:
        return back(request, "/sync", "error", spanish_of(exc))
    return back(request, f"/sync/{run_id}", "ok", _("Plan ready: nothing changes until it is applied."))


@router.get("/sync/{run_id}", response_class=HTMLResponse)
async def run_page(request: Request, run_id: RowId) -> HTMLResponse:
    staff = await viewer(request, Scope.SYNC_RUN)
    services = services_of(request)
    run = await run_in_threadpool(services.sync.show, run_id)
    lines, progress = await run_in_threadpool(_plan_lines, services, run_id)
    return render(request, "sync_run.html.j2", staff, run=run, lines=lines, progress=progress)


def _plan_lines(services: Services, run_id: int) -> tuple[list[PlanLine], dict[str, int]]:
    with services.sessions() as session:
        items = items_page(session, run_id, limit=PLAN_LINES).items
        lines = [
            PlanLine(
                item.document or "—",
                _name(item.first_names, item.last_names, item.record),
                item.action,
                item.detail_es or item.detail,
                item.state,
            )
            for item in items
        ]
    return lines, services.sync.progress(run_id)


def _name(first_names: str | None, last_names: str | None, record: Any) -> str:
    """The names as the roster gave them; for people absent from it, as the stored record has them."""
    if first_names or last_names:
        return f"{first_names or ''} {last_names or ''}".strip()
    if not isinstance(record, dict):
        return "—"
    return " ".join(str(record.get(part) or "") for part in ("first_names", "last_names")).strip() or "—"


@router.post("/sync/{run_id}/apply", response_class=RedirectResponse)
async def apply(request: Request, run_id: RowId) -> RedirectResponse:
    staff, form = await posted(request, Scope.SYNC_RUN)
    typed = text_field(form, "confirm")
    if typed and not typed.isdigit():
        return back(request, f"/sync/{run_id}", "error", _("The confirmation is a whole number."))
    confirm = int(typed) if typed and len(typed) < 10 else None
    services = services_of(request)
    try:
        await run_in_threadpool(lambda: services.sync.apply(run_id, actor=staff.actor, confirm=confirm))
    except MisenaError as exc:
        return back(request, f"/sync/{run_id}", "error", spanish_of(exc))
    return back(request, f"/sync/{run_id}", "ok", _("Plan applied: the changes are queued."))
