"""Loops that never die: heartbeats, backoff after failures, one log line per episode.

A worker thread that dies leaves a process that looks healthy while nothing is provisioned —
the worst failure this service can have, because nobody is told. So every background loop
(job workers, the sweeper, the lease keeper) runs through :func:`supervise`: an exception of
any kind is logged once when the loop starts failing (and once when it recovers, with how long
it was down), the loop backs off with jitter, and it tries again. Each turn records a
heartbeat in :class:`Heartbeats`, which ``/livez`` reads to tell the orchestrator to restart a
process whose loops are wedged (stuck, not failing).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from prometheus_client import Counter

from app.logging_setup import get_logger

log = get_logger(__name__)

LOOP_FAILURES = Counter(
    "misena_loop_failures_total",
    "Failed turns of a background loop (worker, sweeper, lease keeper)",
    ["loop"],
)


def describe(exc: BaseException) -> str:
    """The error's class and, for database errors, the driver's class — never its message.

    SQLAlchemy's messages carry the statement's parameters, which can be document numbers or
    addresses; the class names say enough to tell an outage from a bug.
    """
    orig = getattr(exc, "orig", None)
    name = type(exc).__name__
    return f"{name}({type(orig).__name__})" if orig is not None else name


@dataclass
class Beat:
    """One loop's last sign of life, and when it means to make its next turn."""

    at: float
    failing_since: float | None = None
    failures: int = 0
    last_error: str | None = None
    next_at: float | None = None  # a sweeper idles for a minute on purpose: not a stall


@dataclass
class Heartbeats:
    """The process's loops and when each last made a turn (monotonic seconds)."""

    clock: Callable[[], float] = time.monotonic
    _beats: dict[str, Beat] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def register(self, name: str) -> None:
        with self._lock:
            self._beats[name] = Beat(at=self.clock())

    def tick(self, name: str, next_in: float = 0.0) -> None:
        with self._lock:
            beat = self._beats.setdefault(name, Beat(at=self.clock()))
            beat.at = self.clock()
            beat.next_at = beat.at + next_in

    def failed(self, name: str, error: str, next_in: float = 0.0) -> Beat:
        """Record a failed turn (a failing loop is alive: it ticks too); returns the beat."""
        with self._lock:
            beat = self._beats.setdefault(name, Beat(at=self.clock()))
            now = self.clock()
            beat.at = now
            beat.next_at = now + next_in
            beat.failures += 1
            beat.last_error = error
            if beat.failing_since is None:
                beat.failing_since = now
            return self._copy(beat)

    def recovered(self, name: str) -> Beat | None:
        """Clear the failure episode; returns it as it was, or ``None`` if there was none."""
        with self._lock:
            beat = self._beats.get(name)
            if beat is None or beat.failing_since is None:
                return None
            episode = self._copy(beat)
            beat.failing_since, beat.failures, beat.last_error = None, 0, None
            return episode

    def snapshot(self) -> dict[str, Beat]:
        with self._lock:
            return {name: self._copy(beat) for name, beat in self._beats.items()}

    @staticmethod
    def _copy(beat: Beat) -> Beat:
        return Beat(beat.at, beat.failing_since, beat.failures, beat.last_error, beat.next_at)

    def ages(self) -> dict[str, float]:
        now = self.clock()
        return {name: now - beat.at for name, beat in self.snapshot().items()}

    def stale(self, max_age: float) -> list[str]:
        """Loops more than ``max_age`` seconds late for the turn they planned (wedged)."""
        now = self.clock()
        return sorted(
            name
            for name, beat in self.snapshot().items()
            if now - (beat.next_at if beat.next_at is not None else beat.at) > max_age
        )


@dataclass(frozen=True)
class Backoff:
    """Delay after the n-th consecutive failure: ``base * 2**(n-1)``, capped, ± jitter."""

    base: float = 0.5
    cap: float = 30.0
    jitter: float = 0.5

    def delay(self, failures: int, rng: random.Random) -> float:
        raw = min(self.cap, self.base * 2.0 ** min(max(failures - 1, 0), 30))
        return raw * (1 + self.jitter * rng.uniform(-1.0, 1.0))


def supervise(
    name: str,
    turn: Callable[[], float],
    stop: threading.Event,
    heartbeats: Heartbeats,
    *,
    backoff: Backoff = Backoff(),
    rng: random.Random | None = None,
) -> None:
    """Run ``turn`` until ``stop``; it returns how long to wait before the next turn.

    No exception ends the loop. The first failure of an episode is logged at error level with
    its traceback; repeats only count (metrics, heartbeat) until the loop recovers, which is
    logged with the episode's length — so a ten-minute database outage is two log lines per
    loop, not thousands.
    """
    rng = rng or random.Random()
    heartbeats.register(name)
    while not stop.is_set():
        try:
            wait = turn()
        except Exception as exc:
            LOOP_FAILURES.labels(name.split("-", maxsplit=1)[0]).inc()
            failures = heartbeats.snapshot().get(name, Beat(at=0)).failures + 1
            delay = backoff.delay(failures, rng)
            beat = heartbeats.failed(name, describe(exc), next_in=delay)
            if beat.failures == 1:
                log.error("loop_failing", loop=name, error=beat.last_error, exc_info=True)
            stop.wait(delay)
            continue
        heartbeats.tick(name, next_in=max(wait, 0.0))
        episode = heartbeats.recovered(name)
        if episode is not None and episode.failing_since is not None:
            log.warning(
                "loop_recovered",
                loop=name,
                failures=episode.failures,
                down_seconds=round(heartbeats.clock() - episode.failing_since, 1),
                error=episode.last_error,
            )
        if wait > 0:
            stop.wait(wait)
