"""``JobQueue.defer``: a job waiting for a resource goes back to the queue without spending an
attempt, so waiting — however long, however often — never dead-letters it. SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import Job
from app.jobs.outbox import enqueue
from app.jobs.queue import JobQueue
from tests.support.stores import FakeClock, add_people

DELIVER = "deliver_credentials"


def _job(sessions: sessionmaker[Session], job_id: int) -> Job:
    with sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def _enqueue(sessions: sessionmaker[Session], clock: FakeClock, person: int) -> bool:
    with sessions.begin() as session:
        return enqueue(session, DELIVER, person, now=clock.now)


def test_defer_gives_the_attempt_back_and_waits_retry_after(
    sessions: sessionmaker[Session], clock: FakeClock, queue: JobQueue
) -> None:
    [person] = add_people(sessions, 1)
    _enqueue(sessions, clock, person)
    [job] = queue.claim("w")
    assert job.attempts == 1

    assert queue.defer(job.id, "w", "waiting for sender capacity", 90.0) == "pending"
    row = _job(sessions, job.id)
    assert (row.state, row.attempts, row.lease_until) == ("pending", 0, None)
    assert row.run_after == clock.now + timedelta(seconds=90)
    assert row.last_error == "waiting for sender capacity"
    clock.advance(89)
    assert queue.claim("w") == []
    clock.advance(1)
    [again] = queue.claim("w")
    assert (again.id, again.attempts) == (job.id, 1)


def test_waiting_again_and_again_never_dead_letters(
    sessions: sessionmaker[Session], clock: FakeClock, queue: JobQueue
) -> None:
    [person] = add_people(sessions, 1)
    _enqueue(sessions, clock, person)
    with sessions.begin() as session:
        session.execute(update(Job).values(max_attempts=2))
    for _ in range(25):
        [job] = queue.claim("w")
        assert queue.defer(job.id, "w", "waiting", 60.0) == "pending"
        clock.advance(60)
    [job] = queue.claim("w")
    assert job.attempts == 1, "twenty-five waits cost nothing"
    assert queue.fail(job.id, "w", "a real failure") == "pending", "the attempts are all still there"


def test_defer_closes_the_job_when_the_same_work_was_queued_meanwhile(
    sessions: sessionmaker[Session], clock: FakeClock, queue: JobQueue
) -> None:
    [person] = add_people(sessions, 1)
    _enqueue(sessions, clock, person)
    [job] = queue.claim("w")
    assert _enqueue(sessions, clock, person) is True  # IT staff asked for a resend meanwhile
    assert queue.defer(job.id, "w", "waiting", 30.0) == "done"
    assert (_job(sessions, job.id).state, _job(sessions, job.id).attempts) == ("done", 0)
    [pending] = queue.claim("w")
    assert pending.id != job.id


def test_defer_by_someone_else_changes_nothing(
    sessions: sessionmaker[Session], clock: FakeClock, queue: JobQueue
) -> None:
    [person] = add_people(sessions, 1)
    _enqueue(sessions, clock, person)
    [job] = queue.claim("w1")
    assert queue.defer(job.id, "w2", "waiting", 30.0) == "running"
    row = _job(sessions, job.id)
    assert (row.state, row.attempts, row.locked_by) == ("running", 1, "w1")
