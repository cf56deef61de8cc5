"""The job queue's rules, one behaviour per test, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import Job
from app.jobs.outbox import enqueue
from app.jobs.queue import JobQueue, QueueSettings, retry_job
from tests.support.stores import FakeClock, add_people

RECONCILE = "reconcile"
DELIVER = "deliver_credentials"


def _enqueue(
    sessions: sessionmaker[Session],
    clock: FakeClock,
    person_id: int,
    kind: str = RECONCILE,
    *,
    run_after: datetime | None = None,
) -> bool:
    with sessions.begin() as session:
        return enqueue(session, kind, person_id, now=clock.now, run_after=run_after)


def _jobs(sessions: sessionmaker[Session]) -> list[Job]:
    with sessions() as session:
        return list(session.scalars(select(Job).order_by(Job.id)))


def _job(sessions: sessionmaker[Session], job_id: int) -> Job:
    with sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def _retry_dead(sessions: sessionmaker[Session], clock: FakeClock, job_id: int) -> bool:
    """What IT staff's retry does to the queue: :func:`retry_job` in a transaction of its own."""
    with sessions.begin() as session:
        return retry_job(session, job_id, now=clock.now)


def test_enqueue_coalesces_pending_jobs_per_person_and_kind(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    [person, other] = add_people(sessions, 2)
    assert _enqueue(sessions, clock, person) is True
    assert _enqueue(sessions, clock, person) is False
    assert _enqueue(sessions, clock, person, DELIVER) is True
    assert _enqueue(sessions, clock, other) is True
    jobs = _jobs(sessions)
    assert [(j.person_id, j.kind, j.state) for j in jobs] == [
        (person, RECONCILE, "pending"),
        (person, DELIVER, "pending"),
        (other, RECONCILE, "pending"),
    ]


def test_enqueue_pulls_a_later_pending_job_forward_but_never_back(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    [person] = add_people(sessions, 1)
    later = clock.now + timedelta(hours=1)
    _enqueue(sessions, clock, person, run_after=later)
    assert _enqueue(sessions, clock, person, run_after=clock.now + timedelta(hours=2)) is False
    assert _jobs(sessions)[0].run_after == later
    assert _enqueue(sessions, clock, person) is False
    assert _jobs(sessions)[0].run_after == clock.now


def test_enqueue_does_not_commit(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    [person] = add_people(sessions, 1)
    with sessions() as session:
        assert enqueue(session, RECONCILE, person, now=clock.now)
        session.rollback()
    assert _jobs(sessions) == []


def test_claim_sets_the_lease_and_counts_the_attempt(
    sessions: sessionmaker[Session], clock: FakeClock, queue: JobQueue
) -> None:
    [person] = add_people(sessions, 1)
    _enqueue(sessions, clock, person)
    [claimed] = queue.claim("w1")
    assert (claimed.kind, claimed.person_id, claimed.attempts, claimed.max_attempts) == (
        RECONCILE, person, 1, 10,
    )  # fmt: skip
    job = _job(sessions, claimed.id)
    assert job.state == "running"
    assert job.locked_by == "w1"
    assert job.lease_until == clock.now + timedelta(seconds=60)
    assert queue.claim("w2") == []


def test_claim_respects_run_after_and_kinds(
    sessions: sessionmaker[Session], clock: FakeClock, queue: JobQueue
) -> None:
    [a, b] = add_people(sessions, 2)
    _enqueue(sessions, clock, a, run_after=clock.now + timedelta(seconds=30))
    _enqueue(sessions, clock, b, DELIVER)
    assert queue.claim("w", kinds=[RECONCILE]) == []
    clock.advance(30)
    [job] = queue.claim("w", kinds=[RECONCILE])
    assert job.person_id == a
    [job] = queue.claim("w", kinds=[DELIVER])
    assert job.person_id == b


def test_claim_takes_the_oldest_first_and_one_job_per_person(
    sessions: sessionmaker[Session], clock: FakeClock, queue: JobQueue
) -> None:
    [a, b, c] = add_people(sessions, 3)
    _enqueue(sessions, clock, c, run_after=clock.now - timedelta(seconds=3))
    _enqueue(sessions, clock, a, run_after=clock.now - timedelta(seconds=2))
    _enqueue(sessions, clock, a, DELIVER, run_after=clock.now - timedelta(seconds=1))
    _enqueue(sessions, clock, b)
    claimed = queue.claim("w", limit=10)
    assert [(j.person_id, j.kind) for j in claimed] == [
        (c, RECONCILE),
        (a, RECONCILE),
        (b, RECONCILE),
    ]


def test_a_person_is_never_claimed_twice_while_a_lease_is_live(
    sessions: sessionmaker[Session], clock: FakeClock, queue: JobQueue
) -> None:
    [person] = add_people(sessions, 1)
    _enqueue(sessions, clock, person)
    [first] = queue.claim("w1")
    # Work queued while the first job runs: a new reconcile (the running one may have read
    # stale data) and a delivery — neither may start until the first job lets go.
    assert _enqueue(sessions, clock, person) is True
    assert _enqueue(sessions, clock, person, DELIVER) is True
    assert queue.claim("w2", limit=5) == []
    assert queue.claim("w2", kinds=[DELIVER]) == []
    clock.advance(59)
    assert queue.claim("w2") == []
    queue.complete(first.id, "w1")
    [second] = queue.claim("w2", limit=5)
    assert second.person_id == person
    assert second.id != first.id


def test_an_expired_lease_is_reclaimable(
    sessions: sessionmaker[Session], clock: FakeClock, queue: JobQueue
) -> None:
    [person] = add_people(sessions, 1)
    _enqueue(sessions, clock, person)
    [first] = queue.claim("w1")
    clock.advance(60)
    assert queue.claim("w2") == []  # lease_until == now: still live
    clock.advance(1)
    [again] = queue.claim("w2")
    assert again.id == first.id
    assert again.attempts == 2
    assert _job(sessions, first.id).locked_by == "w2"
    # The dead worker comes back: it no longer owns the job.
    assert queue.complete(first.id, "w1") is False
    assert queue.extend_lease(first.id, "w1") is False
    assert queue.fail(first.id, "w1", "late") == "running"
    assert queue.complete(first.id, "w2") is True


def test_an_expired_lease_blocks_nothing_for_the_persons_other_jobs(
    sessions: sessionmaker[Session], clock: FakeClock, queue: JobQueue
) -> None:
    [person] = add_people(sessions, 1)
    _enqueue(sessions, clock, person)
    queue.claim("w1")
    _enqueue(sessions, clock, person, DELIVER)
    clock.advance(61)
    claimed = queue.claim("w2", limit=5)
    assert len(claimed) == 1  # the expired reconcile (oldest), and not both at once
    assert claimed[0].kind == RECONCILE


def test_extend_lease_keeps_the_job(
    sessions: sessionmaker[Session], clock: FakeClock, queue: JobQueue
) -> None:
    [person] = add_people(sessions, 1)
    _enqueue(sessions, clock, person)
    [job] = queue.claim("w1")
    clock.advance(50)
    assert queue.extend_lease(job.id, "w1") is True
    clock.advance(50)
    assert queue.claim("w2") == []
    assert _job(sessions, job.id).lease_until == clock.now + timedelta(seconds=10)


def test_complete_only_by_the_owner(
    sessions: sessionmaker[Session], clock: FakeClock, queue: JobQueue
) -> None:
    [person] = add_people(sessions, 1)
    _enqueue(sessions, clock, person)
    [job] = queue.claim("w1")
    assert queue.complete(job.id, "intruder") is False
    assert _job(sessions, job.id).state == "running"
    clock.advance(5)
    assert queue.complete(job.id, "w1") is True
    done = _job(sessions, job.id)
    assert (done.state, done.finished_at, done.lease_until) == ("done", clock.now, None)
    assert queue.complete(job.id, "w1") is False


def test_fail_backs_off_exponentially_within_the_jitter_bounds(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    settings = QueueSettings(lease_seconds=60, base_backoff=5, max_backoff=100, jitter=0.5)
    queue = JobQueue(sessions, settings, clock=clock, rng=random.Random(7))
    [person] = add_people(sessions, 1)
    _enqueue(sessions, clock, person)
    delays = []
    for attempt in range(1, 7):
        [job] = queue.claim("w")
        assert job.attempts == attempt
        assert queue.fail(job.id, "w", "backend error") == "pending"
        row = _job(sessions, job.id)
        delay = (row.run_after - clock.now).total_seconds()
        nominal = min(100, 5 * 2 ** (attempt - 1))
        assert nominal * 0.5 <= delay <= nominal * 1.5, (attempt, delay)
        assert (row.last_error, row.lease_until) == ("backend error", None)
        delays.append(delay)
        assert queue.claim("w") == []  # not before run_after
        clock.now = row.run_after
    assert len(set(delays)) == len(delays)  # jittered, not a fixed schedule


def test_fail_honours_retry_after_and_truncates_the_error(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    queue = JobQueue(sessions, QueueSettings(jitter=0.0), clock=clock)
    [person] = add_people(sessions, 1)
    _enqueue(sessions, clock, person)
    [job] = queue.claim("w")
    assert queue.fail(job.id, "w", "x" * 5000, retry_after=120) == "pending"
    row = _job(sessions, job.id)
    assert row.run_after == clock.now + timedelta(seconds=120)
    assert row.last_error == "x" * 1000


def test_exhausted_attempts_are_dead_lettered(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    queue = JobQueue(sessions, QueueSettings(max_backoff=1), clock=clock)
    [person] = add_people(sessions, 1)
    _enqueue(sessions, clock, person)
    for _ in range(9):
        [job] = queue.claim("w")
        assert queue.fail(job.id, "w", "again") == "pending"
        clock.advance(2)
    [job] = queue.claim("w")
    assert job.attempts == 10
    assert queue.fail(job.id, "w", "last") == "dead"
    dead = _job(sessions, job.id)
    assert (dead.state, dead.last_error, dead.finished_at) == ("dead", "last", clock.now)
    clock.advance(3600)
    assert queue.claim("w") == []
    assert queue.counts() == {"pending": 0, "running": 0, "done": 0, "dead": 1}


def test_a_permanent_failure_is_dead_at_once(
    sessions: sessionmaker[Session], clock: FakeClock, queue: JobQueue
) -> None:
    [person] = add_people(sessions, 1)
    _enqueue(sessions, clock, person)
    [job] = queue.claim("w")
    assert queue.fail(job.id, "w", "403 forbidden", retryable=False) == "dead"


def test_a_worker_dying_on_the_last_attempt_dead_letters_the_job(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    queue = JobQueue(sessions, QueueSettings(lease_seconds=60), clock=clock)
    [person] = add_people(sessions, 1)
    with sessions.begin() as session:
        enqueue(session, RECONCILE, person, now=clock.now)
        session.execute(update(Job).values(max_attempts=1))
    [job] = queue.claim("w1")
    clock.advance(61)
    assert queue.claim("w2") == []
    assert _job(sessions, job.id).state == "dead"


def test_fail_marks_done_when_the_same_work_is_already_pending(
    sessions: sessionmaker[Session], clock: FakeClock, queue: JobQueue
) -> None:
    [person] = add_people(sessions, 1)
    _enqueue(sessions, clock, person)
    [job] = queue.claim("w")
    assert _enqueue(sessions, clock, person) is True  # an event arrived meanwhile
    assert queue.fail(job.id, "w", "timeout") == "done"
    states = [(j.id == job.id, j.state) for j in _jobs(sessions)]
    assert states == [(True, "done"), (False, "pending")]
    assert _job(sessions, job.id).last_error == "timeout"


def test_retry_dead_requeues_with_fresh_attempts(
    sessions: sessionmaker[Session], clock: FakeClock, queue: JobQueue
) -> None:
    [person] = add_people(sessions, 1)
    _enqueue(sessions, clock, person)
    [job] = queue.claim("w")
    queue.fail(job.id, "w", "permanent", retryable=False)
    [other] = add_people(sessions, 1, first=2)
    _enqueue(sessions, clock, other)
    [live] = queue.claim("w")
    assert _retry_dead(sessions, clock, live.id) is False  # only dead jobs
    clock.advance(10)
    assert _retry_dead(sessions, clock, job.id) is True
    row = _job(sessions, job.id)
    assert (row.state, row.attempts, row.run_after, row.finished_at) == (
        "pending",
        0,
        clock.now,
        None,
    )
    [again] = queue.claim("w")
    assert (again.id, again.attempts) == (job.id, 1)
    assert _retry_dead(sessions, clock, job.id) is False


def test_retry_dead_keeps_one_pending_job(
    sessions: sessionmaker[Session], clock: FakeClock, queue: JobQueue
) -> None:
    [person] = add_people(sessions, 1)
    _enqueue(sessions, clock, person)
    [job] = queue.claim("w")
    queue.fail(job.id, "w", "permanent", retryable=False)
    _enqueue(sessions, clock, person, run_after=clock.now + timedelta(hours=1))
    assert _retry_dead(sessions, clock, job.id) is True
    rows = _jobs(sessions)
    assert [(r.id == job.id, r.state) for r in rows] == [(True, "done"), (False, "pending")]
    assert rows[1].run_after == clock.now  # brought forward: the retry happens now


def test_counts_by_state(sessions: sessionmaker[Session], clock: FakeClock, queue: JobQueue) -> None:
    people = add_people(sessions, 4)
    for person in people:
        _enqueue(sessions, clock, person)
    [a, b, c] = queue.claim("w", limit=3)
    queue.complete(a.id, "w")
    queue.fail(b.id, "w", "no", retryable=False)
    assert queue.counts() == {"pending": 1, "running": 1, "done": 1, "dead": 1}
    assert c.id not in (a.id, b.id)


def test_health_by_kind_and_the_oldest_due_wait_of_each(
    sessions: sessionmaker[Session], clock: FakeClock, queue: JobQueue
) -> None:
    """What ``misena_jobs{kind,state}`` and ``misena_oldest_due_job_seconds{kind}`` report."""
    people = add_people(sessions, 3)
    start = clock.now
    _enqueue(sessions, clock, people[0])  # due now
    _enqueue(sessions, clock, people[1], run_after=start + timedelta(minutes=10))  # a retry, not a backlog
    _enqueue(sessions, clock, people[2], DELIVER, run_after=start + timedelta(seconds=30))
    clock.now = start + timedelta(minutes=1)
    health = queue.health()
    assert health.by_kind == {
        RECONCILE: {"pending": 2, "running": 0, "done": 0, "dead": 0},
        DELIVER: {"pending": 1, "running": 0, "done": 0, "dead": 0},
    }
    assert health.oldest_due_by_kind == {RECONCILE: 60.0, DELIVER: 30.0}
    assert (health.counts["pending"], health.oldest_due_seconds) == (3, 60.0)
    [claimed] = queue.claim("w", kinds=[DELIVER])
    queue.complete(claimed.id, "w")
    health = queue.health()
    assert health.by_kind[DELIVER] == {"pending": 0, "running": 0, "done": 1, "dead": 0}
    assert health.oldest_due_by_kind[DELIVER] == 0.0, "no due job of that kind: 0"
