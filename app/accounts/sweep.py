"""The scheduled sweep: time-based lifecycle transitions fire by themselves.

A grace period ending is not an event anyone sends. Each reconcile records when the
person's account next changes by the clock alone (``people.next_review_at``); the sweep,
run by every worker process every ``sweep_interval_seconds`` (a supervised loop of
:class:`app.runtime.worker.WorkerPool`), queues a reconcile for
everyone whose moment has come. Several processes sweeping at once is harmless: rows are
claimed with ``SKIP LOCKED`` on PostgreSQL, and the queue coalesces reconciles per person.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from app.db.states import JobKind
from app.jobs.outbox import enqueue
from app.logging_setup import get_logger
from app.people import repository as people

log = get_logger(__name__)


def sweep_due(sessions: sessionmaker[Session], now: datetime, batch: int = 500) -> int:
    """Queue a reconcile for every person whose review time has passed; returns how many."""
    total = 0
    while True:
        with sessions.begin() as session:
            due = people.claim_due_reviews(session, now, batch)
            for person_id in due:
                enqueue(session, JobKind.RECONCILE, person_id, now=now)
        total += len(due)
        if len(due) < batch:
            break
    if total:
        log.info("sweep_queued", people=total)
    return total
