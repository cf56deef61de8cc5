"""The pacer's promise: over any window of length T, at most ``rate * T + burst`` permits.

Time is always fake: ``sleep`` advances the clock, so no test depends on the machine's speed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workspace.pacing import Pacer, acquire_all

Grant = tuple[float, int]  # (instant, permits)


class FakeTime:
    """A clock that only moves when someone sleeps (or the test lets time pass)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ThreadedFakeTime:
    """A lock-guarded fake clock shared by threads.

    Each thread remembers its last reading, so a test can name the instant a permit was
    granted (that reading plus the wait ``acquire`` returned) even when another thread's
    sleep has since moved the clock further. Reading the clock yields the GIL, which
    widens any race in the code that reads it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self.now = 0.0

    def clock(self) -> float:
        with self._lock:
            self._local.read = self.now
        time.sleep(0)  # let another thread in, as a preemption would
        return float(self._local.read)

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now = max(self.now, self._local.read + seconds)

    def last_read(self) -> float:
        return float(self._local.read)


def assert_within_rate(grants: Sequence[Grant], rate: float, burst: int) -> None:
    """Check every window that starts and ends on a grant: those are the tightest ones."""
    ordered = sorted(grants)
    for i, (start, _) in enumerate(ordered):
        permits = 0
        for end, cost in ordered[i:]:
            permits += cost
            allowed = rate * (end - start) + burst
            assert permits <= allowed + 1e-6 * (1 + allowed), (start, end, permits, allowed)


def make(rate: float, burst: int = 1) -> tuple[Pacer, FakeTime]:
    fake = FakeTime()
    return Pacer(rate, burst=burst, clock=fake.clock, sleep=fake.sleep), fake


def test_burst_is_free_then_permits_are_spaced_by_the_interval() -> None:
    pacer, fake = make(rate=10.0, burst=3)
    waits = [pacer.acquire() for _ in range(6)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([0.1, 0.1, 0.1])
    assert fake.now == pytest.approx(0.3)


def test_acquire_returns_what_it_slept() -> None:
    pacer, fake = make(rate=2.0)
    pacer.acquire()
    assert pacer.acquire() == pytest.approx(0.5)
    assert fake.sleeps == [pytest.approx(0.5)]


def test_no_sleep_when_no_wait_is_needed() -> None:
    pacer, fake = make(rate=1.0)
    pacer.acquire()
    fake.now += 5.0
    assert pacer.acquire() == 0.0
    assert fake.sleeps == []


def test_idle_time_refills_only_up_to_the_burst() -> None:
    pacer, fake = make(rate=1.0, burst=2)
    fake.now = 1000.0  # a long idle period must not bank 1000 permits
    waits = [pacer.acquire() for _ in range(4)]
    assert waits == pytest.approx([0.0, 0.0, 1.0, 1.0])


def test_cost_takes_several_permits() -> None:
    pacer, _ = make(rate=100.0, burst=100)
    assert pacer.acquire(cost=100) == 0.0
    assert pacer.acquire(cost=50) == pytest.approx(0.5)


@pytest.mark.parametrize("cost", [0, -1, 4])
def test_impossible_costs_are_rejected(cost: int) -> None:
    pacer, _ = make(rate=1.0, burst=3)
    with pytest.raises(ValueError, match="cost"):
        pacer.acquire(cost)


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (float("nan"), 1), (1.0, 0)])
def test_nonsense_pacers_are_rejected(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="must"):
        Pacer(rate, burst=burst)


def test_per_minute_spreads_the_quota_evenly() -> None:
    fake = FakeTime()
    pacer = Pacer.per_minute(120, clock=fake.clock, sleep=fake.sleep)
    assert pacer.rate_per_second == 2.0
    assert [pacer.acquire() for _ in range(3)] == pytest.approx([0.0, 0.5, 0.5])


def test_unlimited_never_waits() -> None:
    pacer = Pacer.unlimited()
    assert all(pacer.acquire(cost=1000) == 0.0 for _ in range(1000))


requests = st.lists(
    st.tuples(st.floats(min_value=0.0, max_value=3.0), st.integers(min_value=1, max_value=8)),
    max_size=60,
)


@settings(max_examples=200)
@given(
    rate=st.floats(min_value=0.05, max_value=5000.0),
    burst=st.integers(min_value=1, max_value=8),
    plan=requests,
)
def test_no_window_exceeds_rate_times_length_plus_burst(
    rate: float, burst: int, plan: list[tuple[float, int]]
) -> None:
    pacer, fake = make(rate, burst)
    grants: list[Grant] = []
    for idle_intervals, cost in plan:
        fake.now += idle_intervals / rate  # callers arrive at arbitrary moments
        pacer.acquire(min(cost, burst))
        grants.append((fake.now, min(cost, burst)))
    assert_within_rate(grants, rate, burst)


@given(
    rate=st.floats(min_value=0.05, max_value=5000.0),
    burst=st.integers(min_value=1, max_value=8),
    costs=st.lists(st.integers(min_value=1, max_value=8), max_size=60),
)
def test_pacer_waits_no_longer_than_the_quota_requires(rate: float, burst: int, costs: list[int]) -> None:
    """Without this, a pacer that never granted anything would pass the invariant."""
    pacer, fake = make(rate, burst)
    taken = 0
    for cost in (min(c, burst) for c in costs):
        pacer.acquire(cost)
        taken += cost
        assert fake.now == pytest.approx(max(0.0, (taken - burst) / rate), abs=1e-9)


def run_threads(pacer: Pacer, fake: ThreadedFakeTime, threads: int, each: int) -> list[Grant]:
    grants: list[Grant] = []
    grants_lock = threading.Lock()
    start = threading.Barrier(threads)

    def worker() -> None:
        start.wait()
        for _ in range(each):
            waited = pacer.acquire()
            granted_at = fake.last_read() + waited
            with grants_lock:
                grants.append((granted_at, 1))

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return grants


def test_reservations_are_mutually_exclusive() -> None:
    """While one thread reserves, another must wait for it rather than read the same state.

    The first reservation reads the clock; from inside that read a second thread tries to
    acquire. It must still be blocked a moment later. (A broken pacer lets it finish, so a
    slow machine can only hide a bug here, never fail a correct pacer.)
    """
    fake = FakeTime()
    second_waits: list[float] = []
    blocked_inside: list[bool] = []

    def clock() -> float:
        if not blocked_inside:
            second.start()
            second.join(timeout=0.5)
            blocked_inside.append(second.is_alive())
        return fake.now

    pacer = Pacer(1.0, clock=clock, sleep=fake.sleep)
    second = threading.Thread(target=lambda: second_waits.append(pacer.acquire()))
    assert pacer.acquire() == 0.0
    second.join()
    assert blocked_inside == [True]
    assert second_waits == [1.0]  # and it then queued behind the first


@pytest.mark.parametrize(("rate", "burst"), [(10.0, 1), (50.0, 5), (1000.0, 3)])
def test_invariant_holds_under_real_threads(rate: float, burst: int) -> None:
    fake = ThreadedFakeTime()
    pacer = Pacer(rate, burst=burst, clock=fake.clock, sleep=fake.sleep)
    grants = run_threads(pacer, fake, threads=8, each=25)
    assert len(grants) == 200
    assert_within_rate(grants, rate, burst)


# --- several pacers at once -------------------------------------------------------------


def test_acquire_all_waits_for_the_slowest_pacer() -> None:
    fake = FakeTime()
    creations = Pacer(10.0, clock=fake.clock, sleep=fake.sleep)
    queries = Pacer.per_minute(2400, clock=fake.clock, sleep=fake.sleep)
    waits = [acquire_all(creations, queries) for _ in range(3)]
    assert waits == pytest.approx([0.0, 0.1, 0.1])
    assert len(fake.sleeps) == 2  # one sleep per call, not one per pacer


def test_acquire_all_charges_every_pacer() -> None:
    fake = FakeTime()
    creations = Pacer(10.0, clock=fake.clock, sleep=fake.sleep)
    queries = Pacer(1.0, clock=fake.clock, sleep=fake.sleep)
    acquire_all(creations, queries)
    assert queries.acquire() == pytest.approx(1.0)


def test_naming_a_pacer_twice_doubles_its_cost() -> None:
    fake = FakeTime()
    pacer = Pacer(1.0, burst=2, clock=fake.clock, sleep=fake.sleep)
    acquire_all(pacer, pacer)
    assert pacer.acquire() == pytest.approx(1.0)


def test_acquire_all_of_nothing_is_free() -> None:
    assert acquire_all() == 0.0


def test_pacers_on_different_clocks_cannot_be_combined() -> None:
    one, two = FakeTime(), FakeTime()
    first = Pacer(1.0, clock=one.clock, sleep=one.sleep)
    second = Pacer(1.0, clock=two.clock, sleep=two.sleep)
    with pytest.raises(ValueError, match="clock"):
        acquire_all(first, second)


@settings(max_examples=150)
@given(
    plan=st.lists(
        st.tuples(
            st.floats(min_value=0.0, max_value=0.5),
            st.sampled_from(["a", "b", "ab"]),
        ),
        max_size=60,
    ),
    burst_a=st.integers(min_value=1, max_value=4),
    burst_b=st.integers(min_value=1, max_value=4),
)
def test_each_pacer_keeps_its_invariant_when_mixed_with_combined_calls(
    plan: list[tuple[float, str]], burst_a: int, burst_b: int
) -> None:
    """A combined call must not let a single-pacer caller slip in and bunch with it."""
    fake = FakeTime()
    pacers = {
        "a": Pacer(10.0, burst=burst_a, clock=fake.clock, sleep=fake.sleep),
        "b": Pacer(3.0, burst=burst_b, clock=fake.clock, sleep=fake.sleep),
    }
    grants: dict[str, list[Grant]] = {"a": [], "b": []}
    for idle, names in plan:
        fake.now += idle
        acquire_all(*(pacers[name] for name in names))
        for name in names:
            grants[name].append((fake.now, 1))
    for name, pacer in pacers.items():
        assert_within_rate(grants[name], pacer.rate_per_second, pacer.burst)


def test_combined_calls_from_threads_keep_both_invariants() -> None:
    fake = ThreadedFakeTime()
    creations = Pacer(10.0, burst=2, clock=fake.clock, sleep=fake.sleep)
    queries = Pacer(40.0, burst=4, clock=fake.clock, sleep=fake.sleep)
    grants: dict[str, list[Grant]] = {"creations": [], "queries": []}
    lock = threading.Lock()

    def worker(index: int) -> None:
        for _ in range(20):
            both = index % 2 == 0
            waited = acquire_all(creations, queries) if both else queries.acquire()
            granted_at = fake.last_read() + waited
            with lock:
                grants["queries"].append((granted_at, 1))
                if both:
                    grants["creations"].append((granted_at, 1))

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert len(grants["queries"]) == 120
    assert_within_rate(grants["creations"], 10.0, 2)
    assert_within_rate(grants["queries"], 40.0, 4)
