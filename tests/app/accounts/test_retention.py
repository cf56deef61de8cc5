"""Retention by the scheduled sweep, on SQLite and PostgreSQL: past their periods, webhook
payloads are emptied and done/cancelled jobs deleted; the person's record and the audit trail
remain, a dead job waits for IT staff, and a replay of a purged ``webhook-id`` is answered as
before with no second effect (no job, no Google call)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from app.accounts.retention import purge_expired
from app.db.models import AuditEvent, Job, Person, WebhookEvent
from app.db.states import JobKind, JobState
from app.runtime.worker import WorkerPool
from tests.support.events import enrolled, person
from tests.support.harness import Harness

WEBHOOK_ID = "msg_retention_0001"
KEY = "TI:1098765432"


def _payloads(harness: Harness) -> dict[str, Any]:
    with harness.services.sessions() as session:
        rows = session.execute(select(WebhookEvent.webhook_id, WebhookEvent.payload)).all()
        return {row.webhook_id: row.payload for row in rows}


def _jobs(harness: Harness) -> list[JobState]:
    with harness.services.sessions() as session:
        return sorted(session.scalars(select(Job.state)))


def _people_and_audit(harness: Harness) -> tuple[int, int]:
    with harness.services.sessions() as session:
        people = session.scalar(select(func.count()).select_from(Person)) or 0
        audit = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        return people, audit


def _sweep(harness: Harness) -> None:
    """One turn of the worker's sweeper, as ``misena serve`` runs it every interval."""
    WorkerPool(harness.services)._sweep()


def test_after_the_periods_payloads_and_done_jobs_go_the_person_and_audit_stay(harness: Harness) -> None:
    event = enrolled(harness.clock() - timedelta(days=1))
    first = harness.post(event, webhook_id=WEBHOOK_ID)
    assert first.status_code == 202, first.text
    harness.drain()
    person_id = harness.person(KEY).id
    with harness.services.sessions.begin() as session:  # a failure IT staff have yet to see
        session.add(Job(kind=JobKind.RECONCILE, person_id=person_id, state=JobState.DEAD,
                        run_after=harness.clock(), finished_at=harness.clock()))  # fmt: skip
    kept = _people_and_audit(harness)
    assert kept[1] >= 1, "the account's creation is in the audit trail"
    assert _payloads(harness)[WEBHOOK_ID] is not None
    assert _jobs(harness) == sorted([JobState.DONE, JobState.DEAD])

    harness.clock.advance(days=29)
    _sweep(harness)
    assert _payloads(harness)[WEBHOOK_ID] is not None, "not before 30 days"

    harness.clock.advance(days=2)
    _sweep(harness)
    assert _payloads(harness) == {WEBHOOK_ID: None}, "the payload is gone, the dedupe row stays"
    assert _jobs(harness) == sorted([JobState.DONE, JobState.DEAD]), "jobs are kept 90 days"

    harness.clock.advance(days=60)
    _sweep(harness)
    assert _jobs(harness) == [JobState.DEAD], "done jobs gone; the dead one waits for IT staff"
    assert _people_and_audit(harness) == kept
    assert harness.person(KEY).google_user_id is not None

    harness.emulator.clear_counters()
    replay = harness.post(event, webhook_id=WEBHOOK_ID)
    assert (replay.status_code, replay.json()) == (202, {**first.json(), "duplicate": True})
    assert harness.drain() == 0
    assert _jobs(harness) == [JobState.DEAD], "no second effect: no job"
    assert harness.emulator.counters()["total"] == 0, "and no Google call"
    assert _payloads(harness) == {WEBHOOK_ID: None}


def test_purges_go_in_batches_until_nothing_is_left(harness: Harness) -> None:
    for n in range(5):
        who = person(f"10000000{n:02d}", "CC")
        response = harness.post(enrolled(harness.clock(), who=who), webhook_id=f"msg_batch_{n}")
        assert response.status_code == 202
    harness.drain()
    finished = len(_jobs(harness))
    assert finished >= 5
    harness.clock.advance(days=91)
    purged = purge_expired(harness.services.sessions, harness.services.settings, harness.clock(), batch=2)
    assert (purged.webhook_payloads, purged.jobs) == (5, finished)
    assert set(_payloads(harness).values()) == {None}
    assert _jobs(harness) == []
    again = purge_expired(harness.services.sessions, harness.services.settings, harness.clock(), batch=2)
    assert (again.webhook_payloads, again.jobs) == (0, 0)


def test_the_periods_are_settings(make_harness: Any) -> None:
    harness = make_harness(webhook_payload_retention_days=1, finished_job_retention_days=2)
    harness.deliver(enrolled(harness.clock()))
    harness.clock.advance(days=1, minutes=1)
    purged = purge_expired(harness.services.sessions, harness.services.settings, harness.clock())
    assert (purged.webhook_payloads, purged.jobs) == (1, 0)
    harness.clock.advance(days=1)
    assert purge_expired(harness.services.sessions, harness.services.settings, harness.clock()).jobs >= 1
