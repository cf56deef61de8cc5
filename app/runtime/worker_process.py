"""``misena serve``'s worker in a child process of its own, kept running by the API process.

In one process the worker's threads (a reconcile is Python work between Google calls) and the
API's request handling share one GIL: on PostgreSQL, webhooks at 200 a second while the workers
were busy collapsed in 5 of 8 runs to 65 to 110 a second with a p99 of 38 to 80 s, against 17 to 22 ms
with ``--no-worker``. So ``serve`` runs the API alone in its process and the worker
(``misena worker``'s loops and health port) in a child it supervises:

* started with the API (the app's lifespan) and stopped with it: asked to stop (SIGTERM, which
  the child handles as ``misena worker`` does), killed if it has not within the timeout;
* restarted when it dies, after a backoff that grows while it keeps dying at once (a child that
  ran a while starts again after :data:`RESTART_BASE_SECONDS`);
* in its own process group, so a Ctrl-C at the terminal reaches the API alone, which then
  stops the child (not both at once, which would look like a death and a restart);
* gone with the API even when the API is killed outright: the child watches its parent and
  stops itself when the parent disappears.

``spawn`` (not ``fork``): the API process has threads, and a forked copy of a process with
threads may inherit a lock some thread held.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.process
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.logging_setup import get_logger
from app.runtime.supervision import Backoff

log = get_logger(__name__)

RESTART_BASE_SECONDS = 1.0
RESTART_CAP_SECONDS = 30.0
#: A child that lived this long before dying is restarted as if for the first time.
STEADY_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0
RESTART_BACKOFF = Backoff(base=RESTART_BASE_SECONDS, cap=RESTART_CAP_SECONDS)


@dataclass(frozen=True)
class WorkerProcessStatus:
    pid: int | None
    alive: bool
    restarts: int
    last_exit_code: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "alive": self.alive,
            "restarts": self.restarts,
            "last_exit_code": self.last_exit_code,
        }


class WorkerProcess:
    """Runs ``target(*args)`` in a spawned child and keeps it running (see the module).

    ``target`` must be importable by name (a module-level function): ``spawn`` starts a fresh
    interpreter that imports it.
    """

    def __init__(
        self,
        target: Callable[..., None],
        args: tuple[Any, ...] = (),
        *,
        backoff: Backoff = RESTART_BACKOFF,
    ) -> None:
        self._target = target
        self._args = args
        self._backoff = backoff
        self._context = multiprocessing.get_context("spawn")
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._process: multiprocessing.process.BaseProcess | None = None
        self._thread: threading.Thread | None = None
        self._restarts = 0
        self._last_exit: int | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._supervise, name="worker-process", daemon=True)
        self._thread.start()

    def status(self) -> WorkerProcessStatus:
        with self._lock:
            process = self._process
            return WorkerProcessStatus(
                pid=process.pid if process is not None else None,
                alive=process is not None and process.is_alive(),
                restarts=self._restarts,
                last_exit_code=self._last_exit,
            )

    def _spawn(self) -> multiprocessing.process.BaseProcess:
        process = self._context.Process(
            target=run_child, args=(self._target, self._args), name="misena-worker", daemon=False
        )
        process.start()
        with self._lock:
            self._process = process
        log.info("worker_process_started", pid=process.pid, restarts=self._restarts)
        return process

    def _supervise(self) -> None:
        rng = random.Random()
        failures = 0
        while not self._stop.is_set():
            started = time.monotonic()
            process = self._spawn()
            while process.is_alive() and not self._stop.is_set():
                process.join(timeout=0.5)
            if self._stop.is_set():
                return
            with self._lock:
                self._last_exit = process.exitcode
            failures = 1 if time.monotonic() - started > STEADY_SECONDS else failures + 1
            delay = self._backoff.delay(failures, rng)
            log.error(
                "worker_process_died", pid=process.pid, exit_code=process.exitcode, restart_in=round(delay, 1)
            )
            if self._stop.wait(delay):
                return
            with self._lock:
                self._restarts += 1

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop supervising, ask the child to stop, kill it if it has not within ``timeout``."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            process = self._process
        if process is None or not process.is_alive():
            return
        process.terminate()
        process.join(timeout)
        if process.is_alive():
            log.error("worker_process_killed", pid=process.pid, timeout_seconds=timeout)
            process.kill()
            process.join(5)
        log.info("worker_process_stopped", pid=process.pid, exit_code=process.exitcode)


def run_child(target: Callable[..., None], args: tuple[Any, ...]) -> None:
    """The child's entry point: its own process group, then ``target``. A crash is logged as
    a JSON line (multiprocessing would print a plain traceback) and ends the child with 1."""
    os.setpgid(0, 0)
    try:
        target(*args)
    except Exception:
        log.exception("worker_process_crashed")
        raise SystemExit(1) from None


def watch_parent(on_gone: Callable[[], None]) -> None:
    """In a child: call ``on_gone`` once the parent process has ended (killed outright included)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def wait() -> None:
        parent.join()
        log.warning("worker_process_orphaned")
        on_gone()

    threading.Thread(target=wait, name="parent-watch", daemon=True).start()
