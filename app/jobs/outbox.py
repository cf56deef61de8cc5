"""Queueing work inside the caller's own transaction: the outbox side of the job queue.

Apart from :mod:`app.jobs.queue` (the workers' side: claiming, leases, retries, health) because
the features that queue work need only this, committed with the change that needs it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db.models import PENDING_ONLY
from app.db.states import JobKind, JobState
from app.jobs.conditions import JOBS

__all__ = ["discard_pending", "enqueue"]


def enqueue(
    session: Session,
    kind: JobKind,
    person_id: int,
    *,
    now: datetime,
    run_after: datetime | None = None,
) -> bool:
    """Queue ``kind`` for the person in the caller's transaction (not committed here).

    Returns True if a new pending job was inserted; False if one was already pending, in which
    case it is brought forward to ``run_after`` if that is earlier (never pushed back).
    """
    due = run_after or now
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(JOBS)
        .values(
            kind=kind,
            person_id=person_id,
            state=JobState.PENDING,
            attempts=0,
            run_after=due,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["person_id", "kind"], index_where=PENDING_ONLY)
        .returning(JOBS.c.id)
    )
    if session.execute(statement).first() is not None:
        return True
    session.execute(
        update(JOBS)
        .where(
            JOBS.c.person_id == person_id,
            JOBS.c.kind == kind,
            JOBS.c.state == JobState.PENDING,
            JOBS.c.run_after > due,
        )
        .values(run_after=due, updated_at=now)
    )
    return False


def discard_pending(session: Session, kind: JobKind, person_id: int) -> bool:
    """Delete the person's pending ``kind`` job in the caller's transaction; True if one was.

    For work a caller has just done itself (credentials sent inline): a job that would only
    find nothing to do must not sit in the queue IT staff read. Running jobs are not touched.
    """
    result = session.execute(
        delete(JOBS)
        .where(JOBS.c.person_id == person_id, JOBS.c.kind == kind, JOBS.c.state == JobState.PENDING)
        .returning(JOBS.c.id)
    )
    return result.first() is not None
