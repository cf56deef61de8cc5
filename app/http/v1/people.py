"""``/v1/people``: find a person in seconds, see why their account is the way it is, fix it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool

from app.accounts.explain import Explainer
from app.accounts.schemas import PlanOut
from app.db.states import AccountStatus
from app.errors import UnavailableError, not_found
from app.http.v1.deps import Limit, PageToken, Reader, ServicesDep, Writer, problems
from app.http.v1.schemas import (
    Accepted,
    ActionRequest,
    ExcludeRequest,
    PageOf,
    Reason,
    ResendRequest,
    SuspendRequest,
)
from app.lookup import queries
from app.lookup.export import export_person
from app.lookup.schemas import PersonDetail, PersonSummary, WorkspaceState
from app.runtime.services import Services
from app.texts import Text
from sofia_sync.storable import StoredText
from workspace.errors import WorkspaceError

_NO_REASON = ActionRequest()
router = APIRouter(prefix="/people", tags=["people"])
PersonId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The person's id in misena.")]


@router.get("", response_model=PageOf[PersonSummary], responses=problems(400), summary="Search people")
def search_people(
    services: ServicesDep,
    _: Reader,
    document: Annotated[
        Annotated[str, StoredText(40)] | None,
        Query(
            description="Document number, separators allowed, or type:number (TI:1098765432); "
            "also finds a person by a former document (TI → CC)."
        ),
    ] = None,
    email: Annotated[
        Annotated[str, StoredText(320)] | None, Query(description="Account or personal email (part).")
    ] = None,
    name: Annotated[
        Annotated[str, StoredText(100)] | None, Query(description="Part of the names or surnames.")
    ] = None,
    ficha: Annotated[str | None, Query(max_length=20, pattern=r"^[0-9A-Za-z-]+$")] = None,
    state: Annotated[AccountStatus | None, Query(description="account_status")] = None,
    limit: Limit = 50,
    page_token: PageToken = None,
) -> PageOf[PersonSummary]:
    filters = queries.PeopleFilter(document=document, email=email, name=name, ficha=ficha, state=state)
    with services.sessions() as session:
        page = queries.search_people(session, filters, page_token, limit)
        return PageOf(items=[PersonSummary.of(p) for p in page.items], next_page_token=page.next_page_token)


@router.get(
    "/{person_id}", response_model=PersonDetail, responses=problems(404, 503), summary="One person, whole"
)
async def get_person(
    services: ServicesDep,
    _: Reader,
    person_id: PersonId,
    live: Annotated[bool, Query(description="Also read the account from Google now (one call).")] = False,
) -> PersonDetail:
    detail = await run_in_threadpool(_detail, services, person_id)
    if live and (detail.workspace.google_user_id or detail.workspace.primary_email):
        detail.workspace.live = await run_in_threadpool(_live, services, detail.workspace)
    return detail


def _detail(services: Services, person_id: int) -> PersonDetail:
    with services.sessions() as session:
        return queries.person_detail(session, services.settings, services.clock(), person_id)


def _live(services: Services, workspace: WorkspaceState) -> dict[str, Any] | None:
    key = workspace.google_user_id or workspace.primary_email
    assert key is not None  # noqa: S101 - checked by the caller
    try:
        user = services.directory.get_user(key)
    except WorkspaceError as exc:
        raise _unavailable(exc) from exc
    return user.model_dump(mode="json") if user else None


def _unavailable(exc: WorkspaceError) -> UnavailableError:
    return UnavailableError(
        Text("Could not read the account: {error}.", error=type(exc).__name__),
        title=Text("Google unavailable"),
    )


@router.get(
    "/{person_id}/plan",
    response_model=PlanOut,
    responses=problems(404, 503),
    summary="What a reconcile would do now: the account wanted, Google's, the calls (none is made)",
)
async def person_plan(services: ServicesDep, _: Reader, person_id: PersonId) -> PlanOut:
    return await run_in_threadpool(_plan, services, person_id)


def _plan(services: Services, person_id: int) -> PlanOut:
    explainer = Explainer(services.reconciler, services.directory, services.sessions, services.clock)
    try:
        explanation = explainer.explain(person_id)
    except WorkspaceError as exc:
        raise _unavailable(exc) from exc
    if explanation is None:
        raise not_found("person")
    return PlanOut.of(explanation)


@router.get(
    "/{person_id}/export",
    response_model=dict[str, Any],
    responses=problems(404),
    summary="Everything misena holds about the person, as JSON (habeas data); audited with the reason",
)
def export_person_data(
    services: ServicesDep,
    caller: Reader,
    person_id: PersonId,
    reason: Annotated[Reason, Query(min_length=3, description="Required: the request being answered.")],
) -> dict[str, Any]:
    with services.sessions.begin() as session:
        return export_person(session, person_id, actor=caller.actor, reason=reason, now=services.clock())


def _accepted(action: str, person_id: int) -> Accepted:
    return Accepted(action=action, person_id=person_id)


@router.post(
    "/{person_id}/reconcile",
    status_code=202,
    response_model=Accepted,
    responses=problems(404, 409),
    summary="Reconcile now",
)
def reconcile_person(
    services: ServicesDep, caller: Writer, person_id: PersonId, body: ActionRequest = _NO_REASON
) -> Accepted:
    services.staff.reconcile(person_id, caller.actor, body.reason)
    return _accepted("person.reconcile", person_id)


@router.post(
    "/{person_id}/resend-credentials",
    status_code=202,
    response_model=Accepted,
    responses=problems(404, 409, 422),
    summary="New password, emailed to the personal email on record (a reason is required)",
)
def resend_credentials(
    services: ServicesDep, caller: Writer, person_id: PersonId, body: ResendRequest
) -> Accepted:
    services.staff.resend_credentials(person_id, caller.actor, body.reason)
    return _accepted("person.resend_credentials", person_id)


@router.post(
    "/{person_id}/suspend",
    status_code=202,
    response_model=Accepted,
    responses=problems(404, 409),
    summary="Suspend the account (misuse), whatever Sofia Plus says",
)
def suspend_person(
    services: ServicesDep, caller: Writer, person_id: PersonId, body: SuspendRequest
) -> Accepted:
    services.staff.suspend(person_id, caller.actor, body.reason)
    return _accepted("person.suspend", person_id)


@router.post(
    "/{person_id}/unsuspend",
    status_code=202,
    response_model=Accepted,
    responses=problems(404, 409),
    summary="Lift a suspension made by IT staff or outside misena",
)
def unsuspend_person(
    services: ServicesDep, caller: Writer, person_id: PersonId, body: ActionRequest = _NO_REASON
) -> Accepted:
    services.staff.unsuspend(person_id, caller.actor, body.reason)
    return _accepted("person.unsuspend", person_id)


@router.post(
    "/{person_id}/exclude",
    status_code=202,
    response_model=Accepted,
    responses=problems(404, 409),
    summary="Take the person out of misena's management",
)
def exclude_person(
    services: ServicesDep, caller: Writer, person_id: PersonId, body: ExcludeRequest
) -> Accepted:
    services.staff.exclude(person_id, caller.actor, body.reason)
    return _accepted("person.exclude", person_id)


@router.post(
    "/{person_id}/include",
    status_code=202,
    response_model=Accepted,
    responses=problems(404, 409),
    summary="Bring the person back under misena's management",
)
def include_person(
    services: ServicesDep, caller: Writer, person_id: PersonId, body: ActionRequest = _NO_REASON
) -> Accepted:
    services.staff.include(person_id, caller.actor, body.reason)
    return _accepted("person.include", person_id)
