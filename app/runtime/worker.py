"""The worker: claim a job, run it, record the outcome — in as many threads as configured.

Failures of a *job* are sorted the way the Google client sorts them: retryable ones go back to
the queue with backoff (honouring Google's Retry-After), permanent ones are dead-lettered for
IT staff. Failures of the *loop itself* (the database went away while claiming or recording)
never end the thread: :func:`app.runtime.supervision.supervise` backs off and tries again, and an
outcome that could not be recorded is recorded first when the database is back, so the job is
not run twice. A crash mid-job is covered by the lease, which the pool's lease keeper renews
while the job runs — so a short lease is safe, and a dead process's jobs are picked up soon.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from prometheus_client import Counter
from structlog.contextvars import bound_contextvars

from app.accounts.first_signin import run_scheduled_check
from app.accounts.follow_up import FollowUpPolicy, run_scheduled_follow_up
from app.accounts.retention import purge_expired
from app.accounts.sweep import sweep_due
from app.credentials.delivery import SendersExhausted
from app.db.states import JobKind, JobState
from app.jobs.queue import ClaimedJob
from app.logging_setup import get_logger
from app.runtime.services import Services
from app.runtime.supervision import Heartbeats, describe, supervise
from workspace.errors import WorkspaceError

log = get_logger(__name__)
JOBS = Counter("misena_jobs_total", "Jobs run by the worker", ["kind", "result"])


def worker_id(suffix: str = "") -> str:
    return f"{socket.gethostname()}:{os.getpid()}{':' + suffix if suffix else ''}"


class Worker:
    def __init__(self, services: Services, name: str | None = None) -> None:
        self._services = services
        self.name = name or worker_id()
        self._handlers: dict[JobKind, Callable[[int], str]] = {
            JobKind.RECONCILE: lambda person_id: services.reconciler.reconcile(person_id).action,
            JobKind.DELIVER: lambda person_id: services.courier.deliver(person_id).detail,
        }
        #: The job this worker is running now, if any (the lease keeper renews its lease).
        self.current: int | None = None
        #: An outcome the database refused to record; recorded before anything else.
        self._unrecorded: Callable[[], None] | None = None

    def run_once(self) -> bool:
        """Claim and run one job; False when there was nothing to do (or the schema is behind)."""
        if self._unrecorded is not None:
            self._unrecorded()
            self._unrecorded = None
        if not self._services.schema.is_current():
            return False
        claimed = self._services.queue.claim(self.name, kinds=list(self._handlers), limit=1)
        if not claimed:
            return False
        job = claimed[0]
        self.current = job.id
        try:
            # Every line the job's turn writes (Google calls, deliveries, the outcome) names it;
            # person_id is the row id, never a document number.
            with bound_contextvars(job_id=job.id, kind=job.kind, person_id=job.person_id):
                self._run(job)
        finally:
            self.current = None
        return True

    def turn(self) -> float:
        """One supervised turn: run a job, or say how long to idle."""
        return 0.0 if self.run_once() else self._services.settings.worker_poll_seconds

    def _run(self, job: ClaimedJob) -> None:
        queue = self._services.queue
        try:
            result = self._handlers[job.kind](job.person_id)
        except SendersExhausted as exc:
            outcome = partial(self._wait_for_senders, job, exc)
            self._record(job, "waiting_for_senders", outcome)
        except WorkspaceError as exc:
            label = f"google_{'retry' if exc.retryable else 'refused'}"
            outcome = partial(
                queue.fail, job.id, self.name, str(exc), retryable=exc.retryable, retry_after=exc.retry_after
            )
            self._record(job, label, outcome, error=str(exc))
        except Exception as exc:
            # A bug or an outage inside the job: retried with backoff, never the end of the thread.
            log.exception("job_crashed", job_id=job.id, kind=job.kind, error=describe(exc))
            error = f"internal error: {describe(exc)}"
            self._record(job, "crashed", partial(queue.fail, job.id, self.name, error, retryable=True))
        else:
            self._record(job, result, partial(self._complete, job))

    def _complete(self, job: ClaimedJob) -> str:
        return JobState.DONE if self._services.queue.complete(job.id, self.name) else "lost"

    def _wait_for_senders(self, job: ClaimedJob, exc: SendersExhausted) -> str:
        return self._services.queue.defer(job.id, self.name, str(exc), exc.retry_after)

    def _record(
        self, job: ClaimedJob, result: str, outcome: Callable[[], str], error: str | None = None
    ) -> None:
        """Record the outcome; if the database refuses, keep it to record on the next turn."""

        def record() -> None:
            # Bound again: a record the database refused runs on a later turn, outside the job's.
            with bound_contextvars(job_id=job.id, kind=job.kind, person_id=job.person_id):
                state = outcome()
                JOBS.labels(job.kind, result).inc()
                log.info(
                    "job_finished", job_id=job.id, kind=job.kind, result=result, state=state, error=error
                )

        try:
            record()
        except Exception:
            self._unrecorded = record
            raise

    def run(self, stop: threading.Event, heartbeats: Heartbeats | None = None) -> None:
        supervise(self.name, self.turn, stop, heartbeats or Heartbeats())


class LeaseKeeper:
    """Renews the leases of the jobs this process's workers are running.

    Without it a lease must outlast the slowest job, so a killed process's jobs wait that long;
    with it the lease can be short (``MISENA_JOB_LEASE_SECONDS``) and is renewed every third of
    it while the job runs.
    """

    def __init__(self, services: Services, workers: list[Worker]) -> None:
        self._services = services
        self._workers = workers

    def turn(self) -> float:
        for worker in self._workers:
            job_id = worker.current
            if job_id is not None:
                self._services.queue.extend_lease(job_id, worker.name)
        return self._services.settings.job_lease_seconds / 3


class WorkerPool:
    """``worker_threads`` workers in threads of this process (``misena serve``/``worker``),
    the sweeper, the first sign-in checker and the lease keeper — each a supervised loop with a heartbeat."""

    def __init__(self, services: Services, heartbeats: Heartbeats | None = None) -> None:
        self.services = services
        self._services = services
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.heartbeats = heartbeats or Heartbeats()
        self.workers = [Worker(services, worker_id(str(n))) for n in range(services.settings.worker_threads)]

    def start(self) -> None:
        services = self._services
        keeper = LeaseKeeper(services, self.workers)
        loops: list[tuple[str, Callable[[], float]]] = [
            ("sweeper", self._sweep),
            ("signin-checker", self._check_sign_ins),
            ("lease-keeper", keeper.turn),
        ]
        loops += [(f"worker-{n}", worker.turn) for n, worker in enumerate(self.workers)]
        for name, turn in loops:
            thread = threading.Thread(
                target=supervise, args=(name, turn, self._stop, self.heartbeats), name=name, daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _sweep(self) -> float:
        if self._services.schema.is_current():
            sweep_due(self._services.sessions, self._services.clock())
            purge_expired(self._services.sessions, self._services.settings, self._services.clock())
        return self._services.settings.sweep_interval_seconds

    def _check_sign_ins(self) -> float:
        """The first sign-in check (:mod:`app.accounts.first_signin`) and, right after it, the
        follow-up of those who did not sign in (:mod:`app.accounts.follow_up`), each when this
        process wins the interval's turn; until the schema is migrated, it looks again as often
        as the sweep."""
        settings = self._services.settings
        if not self._services.schema.is_current():
            return min(settings.sweep_interval_seconds, settings.signin_check_interval_seconds)
        interval = timedelta(seconds=settings.signin_check_interval_seconds)
        services = self._services
        run_scheduled_check(services.sessions, services.directory, services.clock(), interval)
        policy = FollowUpPolicy.of(settings)
        run_scheduled_follow_up(services.sessions, services.clock(), interval, policy)
        return settings.signin_check_interval_seconds

    def dead_threads(self) -> list[str]:
        """Loops whose thread has ended while the pool runs (a bug: supervise never returns)."""
        if self._stop.is_set():
            return []
        return [thread.name for thread in self._threads if not thread.is_alive()]

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=timeout)
