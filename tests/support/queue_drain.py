"""A worker loop for the concurrency tests, run in threads and in spawned processes.

It lives in an importable module (not a test file) because ``multiprocessing``'s spawn start
method imports the target by name in the child.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Engine, Float, Integer, MetaData, String, Table, insert

from app.clock import system_clock
from app.db.engine import make_engine, session_factory
from app.jobs.queue import JobQueue, QueueSettings

claims_metadata = MetaData()
#: One row per claim, in whichever process it happened. A job claimed twice shows up twice;
#: ``started``..``finished`` is a sub-interval of the time the worker held the job (taken
#: after the claim returned and before ``complete``), so two overlapping intervals for one
#: person prove that two workers really held that person at once.
CLAIMS = Table(
    "test_claims",
    claims_metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", Integer, nullable=False),
    Column("person_id", Integer, nullable=False),
    Column("worker", String(100), nullable=False),
    Column("started", Float, nullable=False),
    Column("finished", Float, nullable=False),
)


def drain(
    engine: Engine,
    worker: str,
    *,
    kinds: Sequence[str] | None = None,
    hold_seconds: float = 0.0,
    limit: int = 1,
    idle_rounds: int = 30,
) -> int:
    """Claim, hold, record, complete — until the queue stays empty; returns jobs done."""
    queue = JobQueue(session_factory(engine), QueueSettings(lease_seconds=600), clock=system_clock)
    done = idle = 0
    while idle < idle_rounds:
        claimed = queue.claim(worker, kinds=kinds, limit=limit)
        started = time.time()
        if not claimed:
            idle += 1
            time.sleep(0.01)
            continue
        idle = 0
        for job in claimed:
            time.sleep(hold_seconds)
            with engine.begin() as connection:
                connection.execute(
                    insert(CLAIMS),
                    {
                        "job_id": job.id,
                        "person_id": job.person_id,
                        "worker": worker,
                        "started": started,
                        "finished": time.time(),
                    },
                )
            if not queue.complete(job.id, worker):
                raise AssertionError(f"{worker} lost job {job.id}")
            done += 1
    return done


def drain_in_threads(
    engine: Engine,
    prefix: str,
    threads: int,
    *,
    split_kinds: Sequence[str] = (),
    **kwargs: Any,
) -> list[BaseException]:
    """``threads`` workers sharing ``engine``; returns whatever they raised.

    With ``split_kinds``, worker *n* claims only ``split_kinds[n % len]``: workers that want
    different kinds are the ones that could race for one person's two jobs.
    """
    errors: list[BaseException] = []

    def work(n: int) -> None:
        kinds = [split_kinds[n % len(split_kinds)]] if split_kinds else None
        try:
            drain(engine, f"{prefix}-{n}", kinds=kinds, **kwargs)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=300)
    return errors


def drain_in_process(database_url: str, prefix: str, threads: int, start: Any, **kwargs: Any) -> None:
    """A spawned process: its own engine, as a separate worker replica would have."""
    engine = make_engine(database_url)
    try:
        with engine.connect():
            pass  # connect before the start line, so both processes really start together
        start.wait(timeout=120)
        errors = drain_in_threads(engine, prefix, threads, **kwargs)
    finally:
        engine.dispose()
    if errors:
        raise errors[0]
