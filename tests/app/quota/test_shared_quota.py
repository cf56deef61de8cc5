"""One quota for every process: permits taken through the database, on SQLite and PostgreSQL.

Each "process" here is its own :class:`SharedQuota` over its own engine (its own connections),
as replicas are; they only meet in the database.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine

from app.clock import wall_seconds
from app.db.engine import make_engine, session_factory
from app.quota.shared import SharedQuota, headroom_by_kind
from workspace.google_quotas import DIRECTORY_QUERIES, USER_CREATES, BudgetBook, gmail_sends

BOOK = BudgetBook.of(queries_per_minute=600, creates_per_second=5, sends_per_minute=60)


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def replicas(engine: Engine, database_url: str) -> Iterator[Callable[..., SharedQuota]]:
    """Quotas of separate engines on the one database ``engine`` migrated."""
    engines: list[Engine] = []

    def make(
        now: Callable[[], float] = wall_seconds, sleep: Callable[[float], None] = time.sleep
    ) -> SharedQuota:
        other = make_engine(database_url)
        engines.append(other)
        return SharedQuota(session_factory(other), BOOK, now=now, sleep=sleep)

    yield make
    for other in engines:
        other.dispose()


def test_two_replicas_share_one_rate(replicas: Callable[..., SharedQuota]) -> None:
    fake = FakeTime()
    one = replicas(now=fake.clock, sleep=fake.sleep)
    two = replicas(now=fake.clock, sleep=fake.sleep)
    start = fake.now
    for _ in range(10):
        one.take(USER_CREATES)
        two.take(USER_CREATES)
    # 20 creations at 5/s: the first goes at once, each next one 0.2 s later, whoever takes it.
    assert fake.now - start == pytest.approx(19 * 0.2)


def test_a_refusal_one_replica_met_slows_the_other(replicas: Callable[..., SharedQuota]) -> None:
    fake = FakeTime()
    one = replicas(now=fake.clock, sleep=fake.sleep)
    two = replicas(now=fake.clock, sleep=fake.sleep)
    one.refused(USER_CREATES, retry_after=2.0)
    start = fake.now
    two.take(USER_CREATES)
    assert fake.now - start == pytest.approx(2.0)  # paused for everyone
    state, budget = two.state(USER_CREATES)
    assert state.refusals == 1
    assert state.lowered_to == pytest.approx(0.95 * budget.rate)  # a first refusal: gentle


def test_a_creation_takes_both_budgets_at_one_instant(replicas: Callable[..., SharedQuota]) -> None:
    fake = FakeTime()
    quota = replicas(now=fake.clock, sleep=fake.sleep)
    for _ in range(3):
        quota.take(DIRECTORY_QUERIES, USER_CREATES)
    queries, _ = quota.state(DIRECTORY_QUERIES)
    creates, _ = quota.state(USER_CREATES)
    granted_last = fake.now
    assert creates.tat == pytest.approx(granted_last + 0.2)
    assert queries.tat == pytest.approx(granted_last + 0.1)  # 600/min: 0.1 s a query


def test_each_sender_has_its_own_budget(replicas: Callable[..., SharedQuota]) -> None:
    fake = FakeTime()
    quota = replicas(now=fake.clock, sleep=fake.sleep)
    start = fake.now
    for _ in range(5):  # the burst of each sender
        quota.take(gmail_sends("uno@misena.edu.co"))
        quota.take(gmail_sends("dos@misena.edu.co"))
    assert fake.now == start
    quota.take(gmail_sends("uno@misena.edu.co"))
    assert fake.now - start == pytest.approx(1.0)  # 60 a minute once the burst is spent


def test_an_unknown_bucket_is_refused_rather_than_left_unpaced(replicas: Callable[..., SharedQuota]) -> None:
    with pytest.raises(ValueError, match="no budget"):
        replicas().take("directory.typo")


def test_threads_of_two_replicas_never_exceed_the_rate_together(replicas: Callable[..., SharedQuota]) -> None:
    """Real threads, real time, real row locks: every grant instant (the time read under the lock
    plus the wait) is at least one interval after the previous one, whichever replica took it."""
    reads = threading.local()

    def now() -> float:
        reads.value = time.time()
        return float(reads.value)

    grants: list[float] = []
    lock = threading.Lock()
    quotas = [replicas(now=now), replicas(now=now)]

    def work(quota: SharedQuota) -> None:
        for _ in range(10):
            wait = quota.take(USER_CREATES)
            with lock:
                grants.append(reads.value + wait)

    threads = [threading.Thread(target=work, args=(quotas[n % 2],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    grants.sort()
    assert len(grants) == 40
    gaps = [later - earlier for earlier, later in itertools.pairwise(grants)]
    assert min(gaps) >= 0.2 - 1e-6


def test_headroom_is_read_from_the_shared_rows_at_scrape_time(engine: Engine) -> None:
    """``misena_quota_headroom``: what any replica could be granted now, whoever took the permits."""
    fake = FakeTime()
    sessions = session_factory(engine)
    quota = SharedQuota(sessions, BOOK, now=fake.clock, sleep=fake.sleep)
    senders = ("uno@misena.edu.co", "dos@misena.edu.co")

    def scraped() -> dict[str, int]:
        return headroom_by_kind(sessions, BOOK, fake.now, senders)

    assert scraped() == {"directory.queries": 20, "directory.creates": 1, "gmail.sends": 5}, "unused: full"
    for _ in range(3):
        quota.take(DIRECTORY_QUERIES)
    quota.take(DIRECTORY_QUERIES, USER_CREATES)
    quota.take(gmail_sends(senders[0]), cost=5)
    assert scraped() == {"directory.queries": 16, "directory.creates": 0, "gmail.sends": 5}, "one sender left"
    quota.take(gmail_sends(senders[1]), cost=5)
    assert scraped()["gmail.sends"] == 0, "no sender can send now"
    fake.now += 1.0  # 10 queries a second, 5 creations, one send a second per sender
    assert scraped() == {"directory.queries": 20, "directory.creates": 1, "gmail.sends": 1}
