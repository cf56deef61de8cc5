"""misena's one notion of "now": every wall-clock decision the service makes reads a :class:`Clock`.

Grace periods, job backoff and leases, token use, the sender pool's rolling 24 hours and the
brake's window are all decided against the time, and a test that wants to cross one of them
must move that time for every part at once. So the composition root
(:func:`app.runtime.services.build_services`) creates one clock and hands it to every
service, and no service reads the system time itself. Tests pass a :class:`FrozenClock` and
move it with :meth:`FrozenClock.advance`.

Monotonic timers (timeouts, heartbeats, retry sleeps) are not wall-clock decisions and
keep ``time.monotonic``. Pacing against Google is the one exception the other way: it counts real
seconds on a clock every replica shares, so it reads :func:`wall_seconds`, which no test freezes
(a frozen clock would make a limiter's waits grow without end). ORM column defaults
(``app.db.types.utcnow``) are a backstop for rows written without an explicit time, not a decision.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Returns the current time as an aware UTC ``datetime`` (the only kind misena stores)."""

    def __call__(self) -> datetime: ...


def system_clock() -> datetime:
    """The machine's time: what :func:`~app.runtime.services.build_services` uses unless told."""
    return datetime.now(UTC)


def wall_seconds() -> float:
    """Seconds since the Unix epoch on the machine's clock: the time Google's rate limits and
    the replicas' shared quota (``app.quota``) are counted in. Never frozen."""
    return time.time()


class FrozenClock:
    """A clock that moves only when told: a test states how much time passes, so nothing
    depends on how fast the machine ran the steps in between. Thread-safe (the worker's
    threads read it while the test advances it)."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start if start is not None else system_clock()
        if start.tzinfo is None:
            raise ValueError("a clock's time is aware UTC; a naive start is a guess")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | None = None, /, **parts: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**parts)`` (``advance(hours=2)``);
        returns the new now. Time never runs backwards."""
        step = (delta or timedelta()) + timedelta(**parts)
        if step < timedelta():
            raise ValueError("a clock does not run backwards")
        with self._lock:
            self._now += step
            return self._now
