"""Many workers draining one queue: every job claimed exactly once, no person held twice.

Threads run on both stores; on PostgreSQL two spawned processes drain it too, the way worker
replicas share the queue in production.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import Counter, defaultdict

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.clock import system_clock
from app.db.engine import is_postgres
from app.jobs.outbox import enqueue
from app.jobs.queue import JobQueue
from tests.support.queue_drain import CLAIMS, claims_metadata, drain_in_process, drain_in_threads
from tests.support.stores import add_people

KINDS = ("reconcile", "deliver_credentials")


def _queue_jobs(engine: Engine, sessions: sessionmaker[Session], people: int, kinds: int) -> list[int]:
    claims_metadata.create_all(engine)
    ids = add_people(sessions, people)
    with sessions.begin() as session:
        for person_id in ids:
            for kind in KINDS[:kinds]:
                enqueue(session, kind, person_id, now=system_clock())
    return ids


def _claims(engine: Engine) -> list[tuple[int, int, str, float, float]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                CLAIMS.c.job_id,
                CLAIMS.c.person_id,
                CLAIMS.c.worker,
                CLAIMS.c.started,
                CLAIMS.c.finished,
            )
        )
        return [(r.job_id, r.person_id, r.worker, r.started, r.finished) for r in rows]


def _assert_drained_exactly_once(engine: Engine, sessions: sessionmaker[Session], jobs: int) -> None:
    claims = _claims(engine)
    per_job = Counter(job_id for job_id, *_ in claims)
    assert len(per_job) == jobs
    assert set(per_job.values()) == {1}, [j for j, n in per_job.items() if n > 1]
    assert JobQueue(sessions, clock=system_clock).counts() == {
        "pending": 0,
        "running": 0,
        "done": jobs,
        "dead": 0,
    }


def _assert_no_person_held_twice(engine: Engine) -> None:
    held: defaultdict[int, list[tuple[float, float, str]]] = defaultdict(list)
    for _, person_id, worker, started, finished in _claims(engine):
        held[person_id].append((started, finished, worker))
    for person_id, intervals in held.items():
        intervals.sort()
        for before, after in itertools.pairwise(intervals):
            assert after[0] >= before[1], (person_id, before, after)


def test_threads_drain_200_jobs_each_claimed_exactly_once(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    _queue_jobs(engine, sessions, 200, kinds=1)
    assert drain_in_threads(engine, "thread", 8) == []
    _assert_drained_exactly_once(engine, sessions, 200)
    assert len({worker for _, _, worker, _, _ in _claims(engine)}) > 1  # the work was shared


def test_threads_never_hold_one_person_twice(engine: Engine, sessions: sessionmaker[Session]) -> None:
    _queue_jobs(engine, sessions, 30, kinds=2)
    errors = drain_in_threads(engine, "thread", 8, split_kinds=KINDS, hold_seconds=0.005, limit=2)
    assert errors == []
    _assert_drained_exactly_once(engine, sessions, 60)
    _assert_no_person_held_twice(engine)


# Several processes share a queue on PostgreSQL; SQLite is one host's store.
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(("people", "kinds", "hold"), [(200, 1, 0.0), (40, 2, 0.005)])
def test_two_processes_share_the_queue(
    engine: Engine,
    sessions: sessionmaker[Session],
    database_url: str,
    people: int,
    kinds: int,
    hold: float,
) -> None:
    assert is_postgres(engine)
    _queue_jobs(engine, sessions, people, kinds)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    processes = [
        context.Process(
            target=drain_in_process,
            args=(database_url, f"proc{n}", 3, start),
            kwargs={"hold_seconds": hold, "limit": kinds, "split_kinds": KINDS[:kinds]},
        )
        for n in range(2)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    assert [process.exitcode for process in processes] == [0, 0]
    _assert_drained_exactly_once(engine, sessions, people * kinds)
    _assert_no_person_held_twice(engine)
    assert {worker.split("-")[0] for _, _, worker, _, _ in _claims(engine)} == {"proc0", "proc1"}
