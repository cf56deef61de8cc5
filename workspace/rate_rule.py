"""The one pacing rule: GCRA for the steady rate, and how a rate answer from Google lowers it.

Both the in-process :class:`~workspace.pacing.Pacer` and the quota the replicas share through the
database (``app.quota``) apply exactly these functions to a :class:`BucketState`; they differ only
in where the state lives and what serializes access to it.

**GCRA** (the generic cell rate algorithm, a token bucket kept as one timestamp): each permit
pushes a "theoretical arrival time" (``tat``) forward by ``1 / rate``, and a request may go once
that time is at most ``burst / rate`` ahead of now. So no window of length ``T`` sees more than
``rate * T + burst`` permits.

**Adaptive**: Google's limits are per domain or per project, and a tenant's real limit may be
lower than configured (a smaller quota, another tool spending the same quota). A rate answer
(403/429) therefore lowers the rate *for every caller sharing the bucket*, and a ``Retry-After``
of more than a second pauses the bucket that long. How far it lowers depends on history:

* the first refusal after :data:`QUIET_SECONDS` without one is most likely a call that arrived a
  little early (network jitter at a rate Google accepts): the rate drops to
  :data:`GENTLE_DECREASE` of itself and is back within :data:`FAST_RECOVERY_SECONDS`;
* a refusal soon after another says the limit really is lower: the rate drops to
  :data:`DECREASE` of the refused rate, comes back within :data:`FAST_RECOVERY_SECONDS` to
  :data:`SAFE_SHARE` of it (that much was evidently fine), then probes upward slowly
  (:data:`PROBE_SHARE_PER_SECOND` of the configured rate a second) up to the configured rate.

So a tenant whose limit sits below the configured rate settles just under it with a refusal
every few tens of seconds, instead of bouncing off it on every call, and a one-off refusal costs
a fraction of a second of throughput. Refusals arriving within :data:`SAME_EPISODE_SECONDS` of the
last decrease are answers to calls already in flight and lower nothing more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

__all__ = [
    "BucketState",
    "Budget",
    "commit",
    "current_rate",
    "earliest",
    "headroom",
    "refuse",
]

#: A refused rate is lowered to this share of itself ...
DECREASE = 0.8
#: ... or only to this share, and back to it within FAST_RECOVERY_SECONDS, when it is the first
#: refusal in QUIET_SECONDS (most likely jitter, not a lower limit).
GENTLE_DECREASE = 0.95
#: Measured (bench/provisioning.py, 1,500 creations at 9.6/s on a loaded 2-core machine): the
#: arrival jitter that earns a refusal came about every 19 s, so at 20 s most refusals counted as
#: a lower limit and the rate sank to 8.5/s (1.18 times the floor); at 10 s, 9.0/s (1.12 times), for 16
#: refusals instead of 9. A limit that really is lower answers far more often than every 10 s.
QUIET_SECONDS = 10.0
#: ... comes back to this share of the refused rate ...
SAFE_SHARE = 0.95
#: ... within this many seconds ...
FAST_RECOVERY_SECONDS = 5.0
#: ... and then probes upward by this share of the configured rate per second.
PROBE_SHARE_PER_SECOND = 0.002
#: Never below this share of the configured rate, however many refusals.
FLOOR_SHARE = 0.05
#: Refusals this soon after a decrease answer calls sent before it: one decrease per episode.
SAME_EPISODE_SECONDS = 1.0
#: A Retry-After of this or less is the refused call's alone (its retry waits it): Google's way of
#: saying "slow down" to a per-second limit, which the lower rate already does for everyone.
OWN_RETRY_AFTER_SECONDS = 1.0
#: A longer Retry-After (a per-minute window is full) pauses every caller, but at most this long:
#: longer answers (a daily limit) are for the caller to reschedule its work, not for every caller
#: to sleep through.
MAX_PAUSE_SECONDS = 60.0


@dataclass(frozen=True)
class Budget:
    """A configured rate (permits per second) and how many permits may go at once after idling."""

    rate: float
    burst: int = 1

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise ValueError("rate must be positive")
        if self.burst < 1:
            raise ValueError("burst must be at least 1")

    @classmethod
    def per_minute(cls, n: float, *, burst: int = 1) -> Budget:
        """Google states most quotas per minute; spread them evenly rather than front-load."""
        return cls(n / 60.0, burst=burst)

    def check_cost(self, cost: int) -> None:
        if cost < 1:
            raise ValueError("cost must be at least 1")
        if cost > self.burst and math.isfinite(self.rate):
            raise ValueError(f"cost {cost} exceeds burst {self.burst}: it could never be granted")


@dataclass(frozen=True)
class BucketState:
    """Everything a bucket remembers; times are seconds on the clock its users share.

    ``lowered_to``/``recover_to``/``lowered_at`` describe the last decrease: the rate it set, the
    rate it comes back to within :data:`FAST_RECOVERY_SECONDS`, and when (``None``: the bucket runs
    at its configured rate); ``paused_until`` is the latest ``Retry-After`` Google gave.
    """

    tat: float = -math.inf
    lowered_to: float | None = None
    recover_to: float | None = None
    lowered_at: float = -math.inf
    paused_until: float = -math.inf
    refusals: int = 0


def current_rate(state: BucketState, budget: Budget, now: float) -> float:
    """The rate the bucket allows at ``now``: the configured one, or on its way back to it."""
    if state.lowered_to is None or state.recover_to is None:
        return budget.rate
    elapsed = max(0.0, now - state.lowered_at)
    safe = max(state.lowered_to, state.recover_to)
    if elapsed < FAST_RECOVERY_SECONDS:
        rate = state.lowered_to + (safe - state.lowered_to) * elapsed / FAST_RECOVERY_SECONDS
    else:
        rate = safe + PROBE_SHARE_PER_SECOND * budget.rate * (elapsed - FAST_RECOVERY_SECONDS)
    return min(budget.rate, rate)


def earliest(state: BucketState, budget: Budget, now: float, cost: int) -> float:
    """The first instant at or after ``now`` when ``cost`` permits conform."""
    rate = current_rate(state, budget, now)
    if math.isinf(rate):
        return max(now, state.paused_until)
    return max(now, state.paused_until, state.tat + (cost - budget.burst) / rate)


def headroom(state: BucketState, budget: Budget, now: float) -> int:
    """How many permits the bucket would grant at ``now`` without waiting (0 to ``burst``).

    Derived from :func:`earliest` itself, so what the metrics report is exactly what a caller
    would be granted: ``n`` permits are available now when ``n`` of them conform at ``now``.
    """
    return sum(1 for n in range(1, budget.burst + 1) if earliest(state, budget, now, n) <= now)


def commit(state: BucketState, budget: Budget, at: float, cost: int) -> BucketState:
    """The state after ``cost`` permits were granted at ``at``."""
    rate = current_rate(state, budget, at)
    if math.isinf(rate):
        return state
    return replace(state, tat=max(state.tat, at) + cost / rate)


def refuse(state: BucketState, budget: Budget, now: float, retry_after: float | None) -> BucketState:
    """The state after Google answered a call of this bucket "too fast" at ``now``."""
    asked = max(retry_after or 0.0, 0.0)
    pause = min(asked, MAX_PAUSE_SECONDS) if asked > OWN_RETRY_AFTER_SECONDS else 0.0
    paused_until = max(state.paused_until, now + pause)
    refused_rate = current_rate(state, budget, now)
    if now - state.lowered_at < SAME_EPISODE_SECONDS or math.isinf(refused_rate):
        return replace(state, paused_until=paused_until, refusals=state.refusals + 1)
    if now - state.lowered_at >= QUIET_SECONDS:
        lowered, recover_to = GENTLE_DECREASE * refused_rate, refused_rate
    else:
        lowered, recover_to = DECREASE * refused_rate, SAFE_SHARE * refused_rate
    return BucketState(
        tat=state.tat,
        lowered_to=max(FLOOR_SHARE * budget.rate, lowered),
        recover_to=recover_to,
        lowered_at=now,
        paused_until=paused_until,
        refusals=state.refusals + 1,
    )
