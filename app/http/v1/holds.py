"""``/v1/suspension-holds``: suspensions the circuit breaker held, and IT staff's decision."""

from __future__ import annotations

from fastapi import APIRouter

from app.accounts.holds import holds_page
from app.accounts.schemas import HoldOut
from app.db.states import HoldState
from app.http.v1.deps import Admin, Limit, PageToken, Reader, ServicesDep, problems
from app.http.v1.schemas import Counted, HoldDecision, PageOf

router = APIRouter(prefix="/suspension-holds", tags=["suspension brake"])


@router.get("", response_model=PageOf[HoldOut], responses=problems(400), summary="Held suspensions")
def list_holds(
    services: ServicesDep,
    _: Reader,
    state: HoldState | None = HoldState.HELD,
    limit: Limit = 50,
    page_token: PageToken = None,
) -> PageOf[HoldOut]:
    with services.sessions() as session:
        page = holds_page(session, state=state, page_token=page_token, limit=limit)
    return PageOf(items=page.items, next_page_token=page.next_page_token)


@router.post(
    "/release",
    response_model=Counted,
    responses=problems(404, 409),
    summary="Release held suspensions: the accounts are suspended",
)
def release_holds(services: ServicesDep, caller: Admin, body: HoldDecision) -> Counted:
    count = services.staff.decide_holds(body.ids, True, caller.actor, body.reason)
    return Counted(action="suspension.release", count=count)


@router.post(
    "/discard",
    response_model=Counted,
    responses=problems(404, 409),
    summary="Discard held suspensions: the accounts stay active",
)
def discard_holds(services: ServicesDep, caller: Admin, body: HoldDecision) -> Counted:
    count = services.staff.decide_holds(body.ids, False, caller.actor, body.reason)
    return Counted(action="suspension.discard", count=count)
