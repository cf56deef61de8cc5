"""Client-side pacing, so calls stay under Google's quotas instead of bouncing off 429s.

The rule (GCRA, lowered by Google's rate answers and recovering gradually) is
:mod:`workspace.rate_rule`; this module keeps its state in the process. A caller *reserves* its
slot under the lock and sleeps outside it, so threads queue in arrival order without holding the
lock while they wait, and no window of length ``T`` ever sees more than ``rate * T + burst``
permits.

The adapters do not take pacers directly but a :class:`QuotaGate` — named buckets, taken together
at one instant and told about refusals — so a deployment can hand them the quota its replicas
share through the database (``app.quota``) and a test or a one-off script the in-process
:class:`LocalQuota`.

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
from typing import Protocol

from workspace.google_quotas import BudgetBook
from workspace.rate_rule import BucketState, Budget, commit, earliest, refuse

__all__ = ["LocalQuota", "Pacer", "QuotaGate", "acquire_all"]

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class QuotaGate(Protocol):
    """Named quota buckets as the Google adapters see them."""

    def take(self, *buckets: str, cost: int = 1) -> float:
        """Block until ``cost`` permits of every bucket are granted at one instant; seconds slept."""

    def refused(self, bucket: str, retry_after: float | None) -> None:
        """Google answered a call of ``bucket`` with a rate limit: slow it down for everyone."""


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
        self.budget = Budget(rate_per_second, burst=burst)  # refuses a rate ≤ 0 or a burst < 1
        self.clock = clock
        self.sleep = sleep
        self._state = BucketState()
        self._lock = threading.Lock()

    @property
    def rate_per_second(self) -> float:
        return self.budget.rate

    @property
    def burst(self) -> int:
        return self.budget.burst

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
    def of(cls, budget: Budget) -> Pacer:
        return cls(budget.rate, burst=budget.burst)

    @classmethod
    def unlimited(cls) -> Pacer:
        """A pacer that never waits, so callers need no "is pacing on?" branch."""
        return cls(math.inf)

    def acquire(self, cost: int = 1) -> float:
        """Block until ``cost`` permits are granted; return the seconds slept for them."""
        return acquire_all(self, cost=cost)

    def refused(self, retry_after: float | None = None) -> None:
        """Google said "too fast": lower the rate and pause, per :func:`workspace.rate_rule.refuse`."""
        with self._lock:
            self._state = refuse(self._state, self.budget, self.clock(), retry_after)

    def __repr__(self) -> str:
        return f"Pacer(rate_per_second={self.rate_per_second!r}, burst={self.burst!r})"

    def _earliest(self, now: float, cost: int) -> float:
        """The first instant at or after ``now`` when ``cost`` permits conform. Lock held."""
        return earliest(self._state, self.budget, now, cost)

    def _commit(self, at: float, cost: int) -> None:
        """Record ``cost`` permits granted at ``at``. Lock held."""
        self._state = commit(self._state, self.budget, at, cost)


class LocalQuota:
    """A :class:`QuotaGate` kept in this process: right for one process (a script, a test); the
    service's processes share ``app.quota.SharedQuota`` instead. ``budgets`` names each bucket's
    budget (Google's defaults unless given); :meth:`unlimited` never waits."""

    def __init__(self, budgets: BudgetBook | None = None, *, limited: bool = True) -> None:
        self._budgets = budgets or BudgetBook.defaults()
        self._limited = limited
        self._pacers: dict[str, Pacer] = {}
        self._lock = threading.Lock()

    @classmethod
    def unlimited(cls) -> LocalQuota:
        return cls(limited=False)

    def pacer(self, bucket: str) -> Pacer:
        with self._lock:
            if bucket not in self._pacers:
                self._pacers[bucket] = (
                    Pacer.of(self._budgets.budget(bucket)) if self._limited else Pacer.unlimited()
                )
            return self._pacers[bucket]

    def take(self, *buckets: str, cost: int = 1) -> float:
        return acquire_all(*(self.pacer(bucket) for bucket in buckets), cost=cost)

    def refused(self, bucket: str, retry_after: float | None) -> None:
        self.pacer(bucket).refused(retry_after)


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
        pacer.budget.check_cost(total)
    return costs


def _shared_time(pacers: tuple[Pacer, ...]) -> tuple[Clock, Sleep]:
    """One instant only means something if every pacer measures time the same way."""
    first = pacers[0]
    if any(p.clock != first.clock or p.sleep != first.sleep for p in pacers[1:]):
        raise ValueError("pacers acquired together must share one clock and one sleep")
    return first.clock, first.sleep
