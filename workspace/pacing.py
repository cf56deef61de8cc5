"""Client-side pacing, so a bulk run stays under Google's quotas instead of bouncing off 429s.

The algorithm is GCRA (the generic cell rate algorithm, a token bucket kept as one
timestamp): each permit pushes a "theoretical arrival time" forward by ``1 / rate``, and a
request may go once that time is at most ``burst / rate`` ahead of now. A caller *reserves*
its slot under the lock and sleeps outside it, so threads queue in arrival order without
holding the lock while they wait, and no window of length ``T`` ever sees more than
``rate * T + burst`` permits.

Why not a library: none is declared in the project, the candidates (``pyrate-limiter``,
``limits``, ``ratelimit``) either lack an injectable clock *and* sleep, which the tests
need to check the invariant without wall-clock time, or cannot reserve from two limiters
atomically, which :func:`acquire_all` needs. GCRA is a few lines; owning them is cheaper
than adapting around those gaps.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack

__all__ = ["Pacer", "acquire_all"]

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class Pacer:
    """Grants permits at ``rate_per_second`` on average, allowing ``burst`` at once after idling.

    Thread-safe. ``cost`` lets one call take several permits (a Gmail send costs 100 quota
    units), but never more than ``burst``: such a request could never conform.
    """

    def __init__(
        self,
        rate_per_second: float,
        *,
        burst: int = 1,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        if not rate_per_second > 0:
            raise ValueError("rate_per_second must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate_per_second = rate_per_second
        self.burst = burst
        self.clock = clock
        self.sleep = sleep
        self._interval = 1.0 / rate_per_second
        self._tat = -math.inf  # theoretical arrival time: when the bucket is empty again
        self._lock = threading.Lock()

    @classmethod
    def per_minute(
        cls,
        n: float,
        *,
        burst: int = 1,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> Pacer:
        """Google states most quotas per minute; spread them evenly rather than front-load."""
        return cls(n / 60.0, burst=burst, clock=clock, sleep=sleep)

    @classmethod
    def unlimited(cls) -> Pacer:
        """A pacer that never waits, so callers need no "is pacing on?" branch."""
        return cls(math.inf)

    def acquire(self, cost: int = 1) -> float:
        """Block until ``cost`` permits are granted; return the seconds slept for them."""
        return acquire_all(self, cost=cost)

    def __repr__(self) -> str:
        return f"Pacer(rate_per_second={self.rate_per_second!r}, burst={self.burst!r})"

    def _check_cost(self, cost: int) -> None:
        if cost < 1:
            raise ValueError("cost must be at least 1")
        if cost > self.burst and self._interval > 0:
            raise ValueError(f"cost {cost} exceeds burst {self.burst}: it could never be granted")

    def _earliest(self, now: float, cost: int) -> float:
        """The first instant at or after ``now`` when ``cost`` permits conform. Lock held."""
        return max(now, self._tat + (cost - self.burst) * self._interval)

    def _commit(self, at: float, cost: int) -> None:
        """Record ``cost`` permits granted at ``at``. Lock held."""
        self._tat = max(self._tat, at) + cost * self._interval


def acquire_all(*pacers: Pacer, cost: int = 1) -> float:
    """Take ``cost`` permits from every pacer at one common instant; return seconds slept.

    Reserving from each pacer in turn would hold a slot in the first while waiting for the
    second, and the call would then land late, bunched with later callers of the first.
    Instead every pacer is locked (in a fixed order, so concurrent calls cannot deadlock),
    the latest of their earliest instants is chosen, and all commit to it. A pacer named
    twice gives twice the cost.
    """
    if not pacers:
        return 0.0
    costs = _costs_by_pacer(pacers, cost)
    clock, sleep = _shared_time(pacers)
    with ExitStack() as stack:
        for pacer in sorted(costs, key=id):
            stack.enter_context(pacer._lock)
        now = clock()
        grant_at = max(pacer._earliest(now, n) for pacer, n in costs.items())
        for pacer, n in costs.items():
            pacer._commit(grant_at, n)
    wait = grant_at - now
    if wait > 0:
        sleep(wait)
    return wait


def _costs_by_pacer(pacers: tuple[Pacer, ...], cost: int) -> dict[Pacer, int]:
    costs: dict[Pacer, int] = {}
    for pacer in pacers:
        costs[pacer] = costs.get(pacer, 0) + cost
    for pacer, total in costs.items():
        pacer._check_cost(total)
    return costs


def _shared_time(pacers: tuple[Pacer, ...]) -> tuple[Clock, Sleep]:
    """One instant only means something if every pacer measures time the same way."""
    first = pacers[0]
    if any(p.clock != first.clock or p.sleep != first.sleep for p in pacers[1:]):
        raise ValueError("pacers acquired together must share one clock and one sleep")
    return first.clock, first.sleep
