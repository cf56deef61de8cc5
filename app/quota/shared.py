"""Google's quotas as one budget for every worker and replica, kept in the shared database.

Why: Google counts per domain (10 user creations a second) and per project (2,400 Directory
queries a minute), and Gmail per sender mailbox — never per process. Pacing in each process meant
replicas had to be given a hand-divided share of each limit, and a deployment that did not divide
them bounced off Google hundreds of times per thousand accounts. Here each permit is one short
transaction on the bucket's row in the database the replicas already share, so 1 or 10 processes
together stay under the configured rate, and a rate answer from Google lowers it for all of them.

The arithmetic is :mod:`workspace.rate_rule` (GCRA plus the decrease/recovery rule), applied to the
row under a lock: ``SELECT ... FOR UPDATE`` on PostgreSQL (rows locked in name order, so two
callers taking several buckets cannot deadlock), ``BEGIN IMMEDIATE`` on SQLite (see
:mod:`app.db.engine`). The transaction only reserves the slot; the caller sleeps after it commits.
Time is :func:`app.clock.wall_seconds`, read under the lock: a replica whose clock runs behind only
waits longer, it never takes a slot early.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence

from prometheus_client import Counter as MetricCounter
from prometheus_client import Gauge, Histogram
from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from app.clock import wall_seconds
from app.db.budget_models import QuotaBucket
from workspace.google_quotas import DIRECTORY_QUERIES, USER_CREATES, BudgetBook, bucket_kind, gmail_sends
from workspace.rate_rule import BucketState, Budget, commit, current_rate, earliest, headroom, refuse

WAITS = Histogram(
    "misena_quota_wait_seconds",
    "Seconds a Google call waited for its quota permit (all processes share the budget)",
    ["bucket"],
    buckets=(0.005, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
REFUSALS = MetricCounter(
    "misena_quota_refusals_total",
    "Rate answers from Google (403/429) that lowered a shared budget",
    ["bucket"],
)
RATE = Gauge(
    "misena_quota_rate_per_second",
    "The rate a shared budget allowed when this process last took a permit (configured, or lowered "
    "after a rate answer and recovering)",
    ["bucket"],
)


class SharedQuota:
    """A :class:`workspace.pacing.QuotaGate` whose buckets live in the database."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        budgets: BudgetBook,
        *,
        now: Callable[[], float] = wall_seconds,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._sessions = sessions
        self._budgets = budgets
        self._now = now
        self._sleep = sleep
        self._created: set[str] = set()

    def take(self, *buckets: str, cost: int = 1) -> float:
        costs = {name: cost * times for name, times in Counter(buckets).items()}
        budgets = {name: self._budgets.budget(name) for name in costs}
        for name, total in costs.items():
            budgets[name].check_cost(total)
        with self._sessions.begin() as session:
            rows = self._lock(session, sorted(costs))
            now = self._now()
            grant_at = max(earliest(state_of(rows[name]), budgets[name], now, n) for name, n in costs.items())
            for name, n in costs.items():
                state = commit(state_of(rows[name]), budgets[name], grant_at, n)
                write(rows[name], state)
                RATE.labels(bucket_kind(name)).set(current_rate(state, budgets[name], grant_at))
        self._created.update(costs)
        wait = max(0.0, grant_at - now)
        for name in costs:
            WAITS.labels(bucket_kind(name)).observe(wait)
        if wait > 0:
            self._sleep(wait)
        return wait

    def refused(self, bucket: str, retry_after: float | None) -> None:
        budget = self._budgets.budget(bucket)
        with self._sessions.begin() as session:
            row = self._lock(session, [bucket])[bucket]
            write(row, refuse(state_of(row), budget, self._now(), retry_after))
        self._created.add(bucket)
        REFUSALS.labels(bucket_kind(bucket)).inc()

    def state(self, bucket: str) -> tuple[BucketState, Budget]:
        """The bucket as every process sees it now, with its configured budget."""
        with self._sessions.begin() as session:
            row = session.get(QuotaBucket, bucket)
            return (state_of(row) if row is not None else BucketState()), self._budgets.budget(bucket)

    def _lock(self, session: Session, names: Sequence[str]) -> dict[str, QuotaBucket]:
        """The buckets' rows, created (race-free) until this process has seen them committed, then
        locked."""
        new = [name for name in names if name not in self._created]
        if new:
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            session.execute(
                insert(QuotaBucket)
                .values([{"name": name} for name in new])
                .on_conflict_do_nothing(index_elements=["name"])
            )
        # One equality per bucket, not ``IN``: an expanding ``IN`` is rendered again at each
        # execution (profiled at 2.5 % of a worker's CPU on PostgreSQL); this shape is cached.
        rows = session.scalars(
            select(QuotaBucket)
            .where(or_(*(QuotaBucket.name == name for name in names)))
            .order_by(QuotaBucket.name)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {row.name: row for row in rows}


def headroom_by_kind(
    sessions: sessionmaker[Session], budgets: BudgetBook, now: float, senders: Sequence[str] = ()
) -> dict[str, int]:
    """Permits each shared budget could grant right now, as every process sees it (the metric
    ``misena_quota_headroom``), read without locking at scrape time.

    Keyed by :func:`~workspace.google_quotas.bucket_kind`: the sender mailboxes are one kind, and
    report the most any one of them could send now (0 only when none can). The Directory buckets
    and the configured ``senders`` are reported before any process has used them (at their burst).
    """
    with sessions() as session:
        rows = {row.name: state_of(row) for row in session.scalars(select(QuotaBucket))}
    names = dict.fromkeys([DIRECTORY_QUERIES, USER_CREATES, *map(gmail_sends, senders), *rows])
    found: dict[str, int] = {}
    for name in names:
        try:
            budget = budgets.budget(name)
        except ValueError:
            continue  # a bucket this code no longer spends from (a renamed one): nothing to report
        kind = bucket_kind(name)
        found[kind] = max(found.get(kind, 0), headroom(rows.get(name, BucketState()), budget, now))
    return found


def state_of(row: QuotaBucket) -> BucketState:
    return BucketState(
        tat=row.tat,
        lowered_to=row.lowered_to,
        recover_to=row.recover_to,
        lowered_at=row.lowered_at,
        paused_until=row.paused_until,
        refusals=row.refusals,
    )


def write(row: QuotaBucket, state: BucketState) -> None:
    row.tat = max(state.tat, 0.0)
    row.lowered_to = state.lowered_to
    row.recover_to = state.recover_to
    row.lowered_at = max(state.lowered_at, 0.0)
    row.paused_until = max(state.paused_until, 0.0)
    row.refusals = state.refusals
