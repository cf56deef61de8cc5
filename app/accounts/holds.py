"""Held suspensions as IT staff look them up: a page by state, newest first.

What the brake holds and how a decision is applied live in :mod:`app.accounts.brake` and
:mod:`app.staff.actions`; this is only the listing the API (``GET /v1/suspension-holds``) reads.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.schemas import HoldOut
from app.db.models import SuspensionHold
from app.db.paging import Page, fetch_page
from app.db.states import HoldState


def holds_page(
    session: Session, *, state: HoldState | None, page_token: str | None = None, limit: int = 50
) -> Page[HoldOut]:
    """Held suspensions in ``state`` (every state when ``None``), newest first."""
    statement = select(SuspensionHold)
    if state:
        statement = statement.where(SuspensionHold.state == state)
    page = fetch_page(session, statement, SuspensionHold.id, page_token, limit)
    return Page([HoldOut.of(hold) for hold in page.items], page.next_page_token)
