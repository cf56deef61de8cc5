"""Find a person and fix their account: search, the person's page, and the actions with a reason.

Reads go through :mod:`app.lookup.queries` and actions through :class:`app.staff.actions.StaffActions`
(``services.staff``), exactly as ``/v1/people`` does, so an action here leaves the audit entry its
API twin leaves, with this staff member as the actor.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from app.console.labels import follow_up_states
from app.console.rendering import _, render
from app.console.web import (
    RowId,
    back,
    posted,
    reason_problem,
    services_of,
    spanish_of,
    text_field,
    text_problem,
    viewer,
)
from app.errors import MisenaError
from app.lookup import queries
from app.lookup.schemas import PersonDetail, PersonSummary
from app.runtime.services import Services
from app.staff.tokens import Scope
from workspace.errors import WorkspaceError

router = APIRouter()
SEARCH_FIELDS = ("document", "name", "email", "ficha")
#: The API's limits for the same search (``GET /v1/people``).
SEARCH_LIMITS = {"document": 40, "name": 100, "email": 320, "ficha": 20}
FICHA = re.compile(r"[0-9A-Za-z-]+")
RESULTS = 50


@router.get("/people", response_class=HTMLResponse)
async def search(request: Request) -> HTMLResponse:
    staff = await viewer(request, Scope.ACCOUNTS_READ)
    asked = {field: (request.query_params.get(field) or "").strip() for field in SEARCH_FIELDS}
    problem = _search_problem(asked)
    if problem is not None:
        return render(
            request, "people.html.j2", staff, status_code=422, asked=asked, people=None, error=problem
        )
    people: list[PersonSummary] | None = None
    if any(asked.values()):
        people = await run_in_threadpool(_search, services_of(request), asked)
    return render(request, "people.html.j2", staff, asked=asked, people=people)


def _search_problem(asked: dict[str, str]) -> str | None:
    labels = {"document": _("Document number"), "name": _("Name or surname"), "email": _("Email"),
              "ficha": _("Ficha")}  # fmt: skip
    for field, value in asked.items():
        problem = text_problem(labels[field], value, SEARCH_LIMITS[field])
        if problem is not None:
            return problem
    if asked["ficha"] and not FICHA.fullmatch(asked["ficha"]):
        return _("«%(field)s» takes only digits, letters and hyphens.") % {"field": labels["ficha"]}
    return None


def _search(services: Services, asked: dict[str, str]) -> list[PersonSummary]:
    filters = queries.PeopleFilter(
        document=asked["document"] or None,
        name=asked["name"] or None,
        email=asked["email"] or None,
        ficha=asked["ficha"] or None,
    )
    with services.sessions() as session:
        page = queries.search_people(session, filters, None, RESULTS)
        return [PersonSummary.of(person) for person in page.items]


@router.get("/people/{person_id}", response_class=HTMLResponse)
async def person_page(request: Request, person_id: RowId) -> HTMLResponse:
    staff = await viewer(request, Scope.ACCOUNTS_READ)
    services = services_of(request)
    detail = await run_in_threadpool(_detail, services, person_id)
    live, live_error = await run_in_threadpool(_live, services, detail)
    return render(
        request,
        "person.html.j2",
        staff,
        person=detail,
        live=live,
        live_error=live_error,
        why=_why(detail),
        follow_up_states=follow_up_states(),
    )


def _detail(services: Services, person_id: int) -> PersonDetail:
    with services.sessions() as session:
        return queries.person_detail(session, services.settings, services.clock(), person_id)


def _live(services: Services, detail: PersonDetail) -> tuple[dict[str, Any] | None, str | None]:
    """The account as Google has it now (one Directory read), or why it could not be read."""
    key = detail.workspace.google_user_id or detail.workspace.primary_email
    if key is None:
        return None, None
    try:
        user = services.directory.get_user(key)
    except WorkspaceError as exc:
        return None, _("Google could not be read now (%(error)s).") % {"error": type(exc).__name__}
    if user is None:
        return None, _("Google has no account at this address.")
    return user.model_dump(mode="json"), None


def _why(detail: PersonDetail) -> list[str]:
    """Why the account is the way it is, in the words of the facts misena holds."""
    reasons: list[str] = []
    if detail.excluded:
        reasons.append(_("The person is excluded from misena's management."))
    if detail.staff_suspended:
        reasons.append(_("IT staff suspended the account: %(reason)s") % {"reason": _staff_reason(detail)})
    if detail.status_reason:
        reasons.append(_("State reason recorded by misena: %(reason)s") % {"reason": detail.status_reason})
    if detail.workspace.suspension_reason and detail.workspace.suspension_reason != detail.status_reason:
        reasons.append(_("Suspension reason: %(reason)s") % {"reason": detail.workspace.suspension_reason})
    held = [hold for hold in detail.holds if hold.state == "held"]
    if held:
        reasons.append(_("A suspension is held by the brake, waiting for IT staff's decision."))
    if detail.desired is None:
        reasons.append(_("By the policy, this person should have no account now."))
    elif detail.desired.get("suspended"):
        reasons.append(_("By the policy and the Sofia Plus record, the account should be suspended."))
    else:
        reasons.append(_("By the policy and the Sofia Plus record, the account should be active."))
    return reasons


def _staff_reason(detail: PersonDetail) -> str:
    latest = next((entry for entry in detail.audit if entry.action == "person.suspend"), None)
    return (latest.reason if latest and latest.reason else None) or "—"


#: action path -> the StaffActions method
ACTIONS = {
    "resend-credentials": "resend_credentials",
    "suspend": "suspend",
    "unsuspend": "unsuspend",
    "reconcile": "reconcile",
}


def _done(action: str) -> str:
    """What the page says when ``action`` is done."""
    return {
        "resend-credentials": _("New credentials requested: the email goes out in a moment."),
        "suspend": _("Suspension recorded: the account is suspended in a moment."),
        "unsuspend": _("Suspension lifted: the account follows Sofia Plus again."),
        "reconcile": _("Reconcile queued: misena compares the account with Google now."),
    }[action]


@router.post("/people/{person_id}/{action}", response_class=RedirectResponse)
async def person_action(request: Request, person_id: RowId, action: str) -> RedirectResponse:
    if action not in ACTIONS:
        return back(request, f"/people/{person_id}", "error", _("Unknown action."))
    staff, form = await posted(request, Scope.ACCOUNTS_WRITE)
    method = ACTIONS[action]
    reason = text_field(form, "reason")
    problem = reason_problem(reason)
    if problem is not None:
        return back(request, f"/people/{person_id}", "error", problem)
    call = getattr(services_of(request).staff, method)
    try:
        await run_in_threadpool(call, person_id, staff.actor, reason)
    except MisenaError as exc:
        return back(request, f"/people/{person_id}", "error", spanish_of(exc))
    return back(request, f"/people/{person_id}", "ok", _done(action))
