"""Retention: what misena stops keeping once its purpose is served (Ley 1581 de 2012).

Run by the scheduled sweep (:class:`app.runtime.worker.WorkerPool`), each turn:

* a webhook's payload (the person's whole Sofia Plus record, verbatim) is emptied
  ``webhook_payload_retention_days`` after it was received. The row stays — ``webhook_id``,
  type, times, the person's key and the outcome — because it is the dedupe record: a replay
  of the same ``webhook-id`` is still answered 202 with no second effect. What the event
  changed lives on in the person's record.
* ``done`` and ``cancelled`` jobs are deleted ``finished_job_retention_days`` after they
  finished. ``dead`` jobs stay: each is a failure IT staff have yet to look at.

People, their aliases and deliveries, and the audit trail are never purged here.

Each batch is one statement, ``... WHERE id IN (SELECT id ... LIMIT n)``, in its own
transaction, so a backlog of a million rows never loads them nor holds one long lock, and
several processes sweeping at once only share the work (on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import Counter
from sqlalchemy import Executable, ScalarSelect, Select, delete, null, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import Job, WebhookEvent
from app.db.states import JobState
from app.logging_setup import get_logger
from app.settings import Settings

log = get_logger(__name__)

PURGED = Counter("misena_retention_purged_total", "Rows purged by the retention sweep", ["what"])
#: The job states a purge deletes (``dead`` waits for IT staff).
FINISHED = (JobState.DONE, JobState.CANCELLED)


@dataclass(frozen=True)
class Purged:
    webhook_payloads: int
    jobs: int


def purge_expired(
    sessions: sessionmaker[Session], settings: Settings, now: datetime, batch: int = 1000
) -> Purged:
    """Empty the payloads and delete the finished jobs past their periods; returns how many."""
    payload_cutoff = now - timedelta(days=settings.webhook_payload_retention_days)
    job_cutoff = now - timedelta(days=settings.finished_job_retention_days)
    expired_payloads = select(WebhookEvent.id).where(
        WebhookEvent.received_at < payload_cutoff, WebhookEvent.payload.is_not(None)
    )
    payloads = _in_batches(
        sessions,
        lambda ids: update(WebhookEvent).where(WebhookEvent.id.in_(ids)).values(payload=null()),
        expired_payloads.order_by(WebhookEvent.id).limit(batch),
        batch,
    )
    expired_jobs = select(Job.id).where(Job.state.in_(FINISHED), Job.finished_at < job_cutoff)
    jobs = _in_batches(
        sessions,
        lambda ids: delete(Job).where(Job.id.in_(ids)),
        expired_jobs.order_by(Job.id).limit(batch),
        batch,
    )
    if payloads or jobs:
        PURGED.labels("webhook_payload").inc(payloads)
        PURGED.labels("job").inc(jobs)
        log.info("retention_purged", webhook_payloads=payloads, jobs=jobs)
    return Purged(payloads, jobs)


def _in_batches(
    sessions: sessionmaker[Session],
    statement_for: Callable[[ScalarSelect[int]], Executable],
    ids: Select[int],
    batch: int,
) -> int:
    """``statement_for`` (an update or delete of the rows whose ids it is given) run batch after
    batch of ``ids`` (at most ``batch`` a time), each in its own transaction, until a batch is short."""
    total = 0
    while True:
        statement = statement_for(ids.scalar_subquery()).execution_options(synchronize_session=False)
        with sessions.begin() as session:
            count = int(getattr(session.execute(statement), "rowcount", 0))
        total += count
        if count < batch:
            return total
