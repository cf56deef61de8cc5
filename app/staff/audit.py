"""The audit trail: every IT staff action, with actor and reason, in the same transaction as
the change it records (so there is no change without its entry). Append-only: the database
refuses UPDATE and DELETE on the table (triggers, see migration 0003)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.db.models import AuditEvent

#: The actor of what misena does by itself (an account created for an enrollment, a deleted
#: account restored), as the audit trail lists it beside IT staff's ``api:``/``cli:`` actors.
SYSTEM_ACTOR = "misena"


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    at: datetime,
    person_id: int | None = None,
    target: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    entry = AuditEvent(
        at=at, actor=actor, action=action, person_id=person_id, target=target, reason=reason, details=details
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    person_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def audit_query(filters: AuditFilter) -> Select[Any]:
    statement = select(AuditEvent)
    if filters.actor:
        statement = statement.where(AuditEvent.actor == filters.actor)
    if filters.action:
        statement = statement.where(AuditEvent.action == filters.action)
    if filters.person_id is not None:
        statement = statement.where(AuditEvent.person_id == filters.person_id)
    if filters.since is not None:
        statement = statement.where(AuditEvent.at >= filters.since)
    if filters.until is not None:
        statement = statement.where(AuditEvent.at < filters.until)
    return statement
