"""The operations pages: the dashboard, held suspensions (release / discard) and dead jobs
(retry), through the services ``/v1/suspension-holds`` and ``/v1/jobs`` use, with their scopes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.accounts.holds import holds_page
from app.accounts.schemas import HoldOut
from app.console.rendering import _, render
from app.console.web import RowId, back, posted, reason_problem, services_of, spanish_of, text_field, viewer
from app.console.words import ngettext
from app.credentials.delivery_jobs import count_by_state
from app.db.models import Person
from app.db.states import HoldState, JobState
from app.errors import MisenaError
from app.jobs.queries import jobs_page
from app.jobs.schemas import JobOut
from app.lookup.schemas import PersonSummary
from app.runtime.services import Services
from app.staff.tokens import Scope

router = APIRouter()
LISTED = 100


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request) -> HTMLResponse:
    staff = await viewer(request, Scope.ACCOUNTS_READ)
    figures = await run_in_threadpool(_figures, services_of(request))
    return render(request, "dashboard.html.j2", staff, **figures)


def _figures(services: Services) -> dict[str, Any]:
    queue = services.queue.health()
    with services.sessions() as session:
        waiting = count_by_state(session)["waiting_capacity"]  # what operators alert on
    return {
        "jobs": dict(sorted(queue.counts.items())),
        "oldest_due_seconds": round(queue.oldest_due_seconds),
        "dead_jobs": queue.counts.get(JobState.DEAD, 0),
        "credentials_waiting": waiting,
        "held": services.brake.held_count(),
        "brake": services.settings.brake,
    }


@router.get("/holds", response_class=HTMLResponse)
async def holds(request: Request) -> HTMLResponse:
    staff = await viewer(request, Scope.ACCOUNTS_READ)
    items, names = await run_in_threadpool(_held, services_of(request))
    return render(request, "holds.html.j2", staff, holds=items, names=names)


def _held(services: Services) -> tuple[list[HoldOut], dict[int, str]]:
    with services.sessions() as session:
        items = list(holds_page(session, state=HoldState.HELD, limit=LISTED).items)
        return items, names_of(session, {hold.person_id for hold in items})


def names_of(session: Session, person_ids: set[int]) -> dict[int, str]:
    """Each person's names as the record has them, for lists that hold only ids."""
    if not person_ids:
        return {}
    found = session.scalars(select(Person).where(Person.id.in_(person_ids)))
    return {person.id: f"{summary.first_names} {summary.last_names}".strip()
            for person in found if (summary := PersonSummary.of(person))}  # fmt: skip


@router.post("/holds/{decision}", response_class=RedirectResponse)
async def decide_hold(request: Request, decision: str) -> RedirectResponse:
    staff, form = await posted(request, Scope.ADMIN)
    if decision not in ("release", "discard"):
        return back(request, "/holds", "error", _("Unknown action."))
    reason = text_field(form, "reason")
    problem = reason_problem(reason)
    ids = [int(value) for value in form.getlist("hold") if isinstance(value, str) and value.isdigit()]
    if any(not 1 <= hold_id < 2**31 for hold_id in ids):
        problem = problem or _("Invalid value for: %(fields)s.") % {"fields": "hold"}
    if problem is None and not ids:
        problem = _("Choose at least one held suspension.")
    if problem is not None:
        return back(request, "/holds", "error", problem)
    release = decision == "release"
    try:
        count = await run_in_threadpool(
            services_of(request).staff.decide_holds, ids, release, staff.actor, reason
        )
    except MisenaError as exc:
        return back(request, "/holds", "error", spanish_of(exc))
    if release:
        message = ngettext(
            "Released: %(count)s account is suspended.", "Released: %(count)s accounts are suspended.", count
        )
    else:
        message = ngettext(
            "Discarded: %(count)s account stays active.", "Discarded: %(count)s accounts stay active.", count
        )
    return back(request, "/holds", "ok", message % {"count": count})


@router.get("/jobs", response_class=HTMLResponse)
async def dead_jobs(request: Request) -> HTMLResponse:
    staff = await viewer(request, Scope.ACCOUNTS_READ)
    items, names = await run_in_threadpool(_dead, services_of(request))
    return render(request, "jobs.html.j2", staff, jobs=items, names=names)


def _dead(services: Services) -> tuple[list[JobOut], dict[int, str]]:
    with services.sessions() as session:
        items = list(jobs_page(session, state=JobState.DEAD, limit=LISTED).items)
        return items, names_of(session, {job.person_id for job in items})


@router.post("/jobs/retry-dead", response_class=RedirectResponse)
async def retry_dead(request: Request) -> RedirectResponse:
    """Every dead job at once (``POST /v1/jobs/retry-dead``), for after an outage is over."""
    staff, form = await posted(request, Scope.JOBS_WRITE)
    reason = text_field(form, "reason")
    problem = reason_problem(reason)
    if problem is not None:
        return back(request, "/jobs", "error", problem)
    count = await run_in_threadpool(services_of(request).staff.retry_dead, staff.actor, reason)
    return back(
        request,
        "/jobs",
        "ok",
        ngettext("%(count)s dead job queued again.", "%(count)s dead jobs queued again.", count)
        % {"count": count},
    )


@router.post("/jobs/{job_id}/retry", response_class=RedirectResponse)
async def retry_job(request: Request, job_id: RowId) -> RedirectResponse:
    staff, form = await posted(request, Scope.JOBS_WRITE)
    reason = text_field(form, "reason")
    problem = reason_problem(reason)
    if problem is not None:
        return back(request, "/jobs", "error", problem)
    try:
        await run_in_threadpool(services_of(request).staff.retry_job, job_id, staff.actor, reason)
    except MisenaError as exc:
        return back(request, "/jobs", "error", spanish_of(exc))
    return back(request, "/jobs", "ok", _("Job %(id)s queued again.") % {"id": job_id})
