"""Sync runs and their items as IT staff look them up: pages, newest first.

The API's ``GET /v1/sync-runs`` and ``GET /v1/sync-runs/{id}/items`` read from here; planning
and applying a run live in :mod:`app.sync.runs`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import SyncItem, SyncRun
from app.db.paging import Page, fetch_page
from app.db.states import SyncItemState


def runs_page(session: Session, *, page_token: str | None = None, limit: int = 20) -> Page[SyncRun]:
    """Sync runs, newest first."""
    return fetch_page(session, select(SyncRun), SyncRun.id, page_token, limit)


def items_page(
    session: Session,
    run_id: int,
    *,
    action: str | None = None,
    state: SyncItemState | None = None,
    page_token: str | None = None,
    limit: int = 50,
) -> Page[SyncItem]:
    """One run's plan, person by person, filtered by planned action and by state."""
    statement = select(SyncItem).where(SyncItem.run_id == run_id)
    if action:
        statement = statement.where(SyncItem.action == action)
    if state:
        statement = statement.where(SyncItem.state == state)
    return fetch_page(session, statement, SyncItem.id, page_token, limit)
