"""The pacing rule's adaptive half: a rate answer lowers the rate, and it comes back gradually.

Time is simulated: a single caller takes permits from a :class:`Pacer` on a fake clock, against
a simulated Google that counts calls in a sliding window as the emulator does.
"""

from __future__ import annotations

from collections import deque

import pytest

from workspace.pacing import Pacer
from workspace.rate_rule import (
    DECREASE,
    FAST_RECOVERY_SECONDS,
    GENTLE_DECREASE,
    MAX_PAUSE_SECONDS,
    QUIET_SECONDS,
    SAFE_SHARE,
    BucketState,
    Budget,
    commit,
    current_rate,
    earliest,
    headroom,
    refuse,
)

TEN = Budget(10.0)


def test_a_first_refusal_is_taken_for_jitter_and_costs_a_few_seconds_at_95_percent() -> None:
    state = refuse(BucketState(), TEN, now=100.0, retry_after=None)
    assert current_rate(state, TEN, 100.0) == pytest.approx(GENTLE_DECREASE * 10)
    assert current_rate(state, TEN, 100.0 + FAST_RECOVERY_SECONDS) == pytest.approx(10)


def test_a_refusal_soon_after_another_lowers_the_rate_and_it_recovers_in_two_steps() -> None:
    first = refuse(BucketState(), TEN, now=100.0, retry_after=None)
    at = 100.0 + QUIET_SECONDS / 2  # soon: within the quiet period
    refused_rate = current_rate(first, TEN, at)
    state = refuse(first, TEN, now=at, retry_after=None)
    assert current_rate(state, TEN, at) == pytest.approx(DECREASE * refused_rate)
    assert current_rate(state, TEN, at + FAST_RECOVERY_SECONDS) == pytest.approx(SAFE_SHARE * refused_rate)
    halfway = current_rate(state, TEN, at + FAST_RECOVERY_SECONDS / 2)
    assert DECREASE * refused_rate < halfway < SAFE_SHARE * refused_rate
    later = current_rate(state, TEN, at + FAST_RECOVERY_SECONDS + 10)
    assert SAFE_SHARE * refused_rate < later < 10
    assert current_rate(state, TEN, at + 3600) == 10  # back to the configured rate, never above


def test_after_a_quiet_minute_a_refusal_is_gentle_again() -> None:
    first = refuse(BucketState(), TEN, now=100.0, retry_after=None)
    later = refuse(first, TEN, now=100.0 + QUIET_SECONDS, retry_after=None)
    assert current_rate(later, TEN, 100.0 + QUIET_SECONDS) == pytest.approx(GENTLE_DECREASE * 10)


def test_refusals_of_one_episode_lower_the_rate_once() -> None:
    """Calls already in flight when the first refusal came back are refused too: they say nothing new."""
    state = refuse(BucketState(), TEN, now=100.0, retry_after=None)
    episode = refuse(state, TEN, now=105.0, retry_after=None)
    lowered = current_rate(episode, TEN, 105.0)
    for offset in (0.1, 0.5, 0.9):
        episode = refuse(episode, TEN, now=105.0 + offset, retry_after=None)
    assert episode.refusals == 5
    assert current_rate(episode, TEN, 105.0) == pytest.approx(lowered)


def test_many_refusals_never_stop_the_bucket() -> None:
    state = BucketState()
    for n in range(100):
        state = refuse(state, TEN, now=100.0 + 2 * n, retry_after=None)
    assert current_rate(state, TEN, 300.0) >= 0.05 * 10


def test_retry_after_pauses_every_caller_but_not_for_hours() -> None:
    state = refuse(BucketState(), TEN, now=100.0, retry_after=3.0)
    assert earliest(state, TEN, 100.0, 1) == 103.0
    long = refuse(BucketState(), TEN, now=100.0, retry_after=6 * 3600)
    assert earliest(long, TEN, 100.0, 1) == 100.0 + MAX_PAUSE_SECONDS


def test_a_one_second_retry_after_is_the_refused_calls_alone() -> None:
    """Google's per-second limits answer "retry after 1 s": that call's retry waits it, the lower
    rate slows everyone else, and the bucket does not stop for a second (ten creations lost)."""
    state = refuse(BucketState(), TEN, now=100.0, retry_after=1.0)
    assert earliest(state, TEN, 100.0, 1) == 100.0


def test_grants_follow_the_lowered_rate() -> None:
    state = refuse(BucketState(), TEN, now=0.0, retry_after=None)
    at = earliest(state, TEN, 0.0, 1)
    state = commit(state, TEN, at, 1)
    following = earliest(state, TEN, at, 1)
    assert following - at == pytest.approx(1 / (GENTLE_DECREASE * 10), rel=1e-6)


class SimulatedGoogle:
    """``limit`` calls in any ``window`` seconds, the emulator's rule; refusals are counted."""

    def __init__(self, limit: int, window: float = 1.0) -> None:
        self.limit, self.window = limit, window
        self.accepted: deque[float] = deque()
        self.refused = 0
        self.served = 0

    def call(self, now: float) -> bool:
        while self.accepted and self.accepted[0] + self.window <= now:
            self.accepted.popleft()
        if len(self.accepted) >= self.limit:
            self.refused += 1
            return False
        self.accepted.append(now)
        self.served += 1
        return True


def run(limit: int, configured: float, calls: int, *, adaptive: bool) -> tuple[SimulatedGoogle, float]:
    """One caller making ``calls`` accepted calls; a refused call is retried after the pause."""
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    pacer = Pacer(configured, clock=lambda: clock[0], sleep=sleep)
    google = SimulatedGoogle(limit)
    while google.served < calls:
        pacer.acquire()
        if not google.call(clock[0]) and adaptive:
            pacer.refused(retry_after=1.0)
    return google, clock[0]


def test_a_tenant_whose_real_limit_is_lower_converges_instead_of_bouncing() -> None:
    """Configured at 10/s, the tenant really allows 5/s: after a short descent the caller settles
    just under 5/s, refused a few times a minute rather than on every other call."""
    google, elapsed = run(limit=5, configured=10.0, calls=1500, adaptive=True)
    assert google.refused <= 0.03 * 1500
    assert google.served / elapsed >= 0.85 * 5


def test_without_the_feedback_the_same_caller_bounces() -> None:
    """The control: the same pacing told nothing by the refusals is refused about half the time."""
    google, _ = run(limit=5, configured=10.0, calls=1500, adaptive=False)
    assert google.refused >= 0.4 * 1500


def test_a_single_refusal_at_the_right_rate_costs_little() -> None:
    """Jitter at a rate Google accepts: one refusal, a few seconds 5 % slower, then full rate."""
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    pacer = Pacer(9.6, clock=lambda: clock[0], sleep=sleep)
    pacer.refused(retry_after=None)
    for _ in range(960):
        pacer.acquire()
    assert clock[0] <= 100 + 0.2  # 960 permits at 9.6/s take 100 s unrefused


def test_headroom_is_what_a_caller_would_be_granted_now() -> None:
    """Full burst when idle, one permit less per permit taken, refilled at the rate; none while
    paused by a long Retry-After (what ``misena_quota_headroom`` reports)."""
    queries = Budget(2.0, burst=5)
    idle = BucketState()
    assert headroom(idle, queries, 100.0) == 5
    taken = commit(commit(commit(idle, queries, 100.0, 1), queries, 100.0, 1), queries, 100.0, 1)
    assert headroom(taken, queries, 100.0) == 2
    assert earliest(taken, queries, 100.0, 2) == 100.0, "2 would be granted at once"
    assert earliest(taken, queries, 100.0, 3) > 100.0, "3 would wait"
    assert headroom(taken, queries, 100.5) == 3, "one more every 1 / rate seconds"
    assert headroom(taken, queries, 1000.0) == 5, "never above the burst"
    emptied = commit(idle, queries, 100.0, 5)
    assert headroom(emptied, queries, 100.0) == 0
    paused = refuse(idle, queries, now=100.0, retry_after=30.0)
    assert headroom(paused, queries, 110.0) == 0
    assert headroom(paused, queries, 130.0) == 5
