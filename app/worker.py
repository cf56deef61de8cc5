"""The worker: claim a job, run it, record the outcome — in as many threads as configured.

Failures are sorted the way the Google client sorts them: retryable ones go back to the queue
with backoff (honouring Google's Retry-After), permanent ones are dead-lettered for IT staff.
A crash mid-job is covered by the lease: another worker picks the job up when it expires.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable

from prometheus_client import Counter

from app.delivery import DELIVER, SendersExhausted
from app.intake import RECONCILE
from app.logging_setup import get_logger
from app.queue import ClaimedJob
from app.services import Services
from app.sweep import Sweeper
from workspace.errors import WorkspaceError

log = get_logger(__name__)
JOBS = Counter("misena_jobs_total", "Jobs run by the worker", ["kind", "result"])


def worker_id(suffix: str = "") -> str:
    return f"{socket.gethostname()}:{os.getpid()}{':' + suffix if suffix else ''}"


class Worker:
    def __init__(self, services: Services, name: str | None = None) -> None:
        self._services = services
        self.name = name or worker_id()
        self._handlers: dict[str, Callable[[int], str]] = {
            RECONCILE: lambda person_id: services.reconciler.reconcile(person_id).action,
            DELIVER: lambda person_id: services.courier.deliver(person_id).detail,
        }

    def run_once(self) -> bool:
        """Claim and run one job; False when there was nothing to do."""
        claimed = self._services.queue.claim(self.name, kinds=list(self._handlers), limit=1)
        if not claimed:
            return False
        self._run(claimed[0])
        return True

    def _run(self, job: ClaimedJob) -> None:
        queue = self._services.queue
        try:
            result = self._handlers[job.kind](job.person_id)
        except SendersExhausted as exc:
            state = queue.fail(job.id, self.name, str(exc), retryable=True, retry_after=exc.retry_after)
            self._finish(job, "waiting_for_senders", state)
        except WorkspaceError as exc:
            state = queue.fail(
                job.id, self.name, str(exc), retryable=exc.retryable, retry_after=exc.retry_after
            )
            self._finish(job, f"google_{'retry' if exc.retryable else 'refused'}", state, error=str(exc))
        except Exception as exc:
            queue.fail(job.id, self.name, f"internal error: {type(exc).__name__}", retryable=True)
            log.exception("job_crashed", job_id=job.id, kind=job.kind)
            JOBS.labels(job.kind, "crashed").inc()
        else:
            queue.complete(job.id, self.name)
            self._finish(job, result, "done")

    def _finish(self, job: ClaimedJob, result: str, state: str, error: str | None = None) -> None:
        JOBS.labels(job.kind, result).inc()
        log.info("job_finished", job_id=job.id, kind=job.kind, result=result, state=state, error=error)

    def run(self, stop: threading.Event) -> None:
        poll = self._services.settings.worker_poll_seconds
        while not stop.is_set():
            if not self.run_once():
                stop.wait(poll)


class WorkerPool:
    """``worker_threads`` workers in threads of this process (``misena serve``/``worker``)."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        services = self._services
        sweeper = Sweeper(services.sessions, services.clock, services.settings.sweep_interval_seconds)
        thread = threading.Thread(target=sweeper.run, args=(self._stop,), name="sweeper", daemon=True)
        thread.start()
        self._threads.append(thread)
        for n in range(self._services.settings.worker_threads):
            worker = Worker(self._services, worker_id(str(n)))
            thread = threading.Thread(target=worker.run, args=(self._stop,), name=f"worker-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=timeout)
