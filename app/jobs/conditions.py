"""The jobs table as the queue's statements name it, and the conditions that say where a job
stands (due, under an expired lease, claimable, its person busy, held by a worker).

Apart from :mod:`app.jobs.queue` because both sides of the queue build on them: the claimer and
the claimant (:class:`~app.jobs.queue.JobQueue`) and the writes callers make in their own
transaction (:mod:`app.jobs.outbox`).
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Table, and_, exists, or_

from app.db.models import Job
from app.db.states import JobState

JOBS = cast("Table", Job.__table__)
#: The same table under another name, for "another job of this person" subqueries (built
#: once: constructing an alias per statement costs more than running the statement).
SIBLINGS = JOBS.alias("siblings")


def pending_due(now: datetime) -> ColumnElement[bool]:
    return and_(JOBS.c.state == JobState.PENDING, JOBS.c.run_after <= now)


def lease_expired(now: datetime) -> ColumnElement[bool]:
    return and_(JOBS.c.state == JobState.RUNNING, JOBS.c.lease_until < now)


def reclaimable(now: datetime) -> ColumnElement[bool]:
    """Running under an expired lease (its worker died or hung) with attempts left."""
    return and_(lease_expired(now), JOBS.c.attempts < JOBS.c.max_attempts)


def claimable(now: datetime) -> ColumnElement[bool]:
    return or_(pending_due(now), reclaimable(now))


def person_free(now: datetime) -> ColumnElement[bool]:
    """No *other* job of this job's person is running under a live lease."""
    return ~exists().where(
        SIBLINGS.c.person_id == JOBS.c.person_id,
        SIBLINGS.c.id != JOBS.c.id,
        SIBLINGS.c.state == JobState.RUNNING,
        SIBLINGS.c.lease_until >= now,
    )


def owned(job_id: int, worker_id: str) -> ColumnElement[bool]:
    return and_(JOBS.c.id == job_id, JOBS.c.state == JobState.RUNNING, JOBS.c.locked_by == worker_id)
