"""Queueing work inside the caller's own transaction: the outbox side of the job queue.

Apart from :mod:`app.jobs.queue` (the workers' side: claiming, leases, retries, health) because
the features that queue work need only this, committed with the change that needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from app.db.models import PENDING_ONLY
from app.db.states import JobKind, JobState
from app.jobs.conditions import JOBS

__all__ = ["discard_pending", "enqueue", "enqueue_new"]


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
    if session.execute(_insert_pending(session), _pending(kind, person_id, now, due)).first() is not None:
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


def enqueue_new(session: Session, kind: JobKind, person_ids: Sequence[int], *, now: datetime) -> None:
    """Queue ``kind``, due now, for people just inserted in this transaction, in one statement.

    They can have no pending job yet, so there is nothing to bring forward: what
    :func:`enqueue` does for one person, for a batch of new people (webhooks stored together).
    """
    if person_ids:
        session.execute(_insert_pending(session), [_pending(kind, pid, now, now) for pid in person_ids])


def _pending(kind: JobKind, person_id: int, now: datetime, due: datetime) -> dict[str, Any]:
    return {
        "kind": kind,
        "person_id": person_id,
        "state": JobState.PENDING,
        "attempts": 0,
        "run_after": due,
        "created_at": now,
        "updated_at": now,
    }


def _insert_pending(session: Session) -> ReturningInsert[tuple[int]]:
    """A pending job's insert, skipped where the person has that kind pending already (the
    partial unique index), returning the new job's id."""
    return _INSERT_POSTGRESQL if session.get_bind().dialect.name == "postgresql" else _INSERT_SQLITE


_PENDING_KEY = ["person_id", "kind"]
#: Built once (making one costs more than running it): ``ON CONFLICT`` is each dialect's own.
_INSERT_SQLITE = (
    sqlite.insert(JOBS)
    .on_conflict_do_nothing(index_elements=_PENDING_KEY, index_where=PENDING_ONLY)
    .returning(JOBS.c.id)
)
_INSERT_POSTGRESQL = (
    postgresql.insert(JOBS)
    .on_conflict_do_nothing(index_elements=_PENDING_KEY, index_where=PENDING_ONLY)
    .returning(JOBS.c.id)
)


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
