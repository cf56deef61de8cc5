"""The sender pool's rules on both stores: budgets over Gmail's rolling 24 hours, rests that
double while Gmail keeps answering rate limits, Gmail's daily-limit answer, and an estimate of
when each waiting delivery gets its turn."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.credentials.senders import NoCapacity, Reservation, SenderPool
from app.db.budget_models import MailSend
from app.db.engine import make_engine, session_factory
from tests.support.databases import database_url
from tests.support.stores import engine, sessions

__all__ = ["database_url", "engine", "sessions"]

A, B = "a@misena.edu.co", "b@misena.edu.co"
#: An evening, so the rolling window crosses a UTC midnight.
EVENING = datetime(2026, 1, 20, 23, 0, tzinfo=UTC)


def pool(*senders: str, budget: int = 2, max_rest: float = 8.0) -> SenderPool:
    return SenderPool(senders or (A,), budget, max_rest_seconds=max_rest)


def reserve(
    sessions: sessionmaker[Session], senders: SenderPool, at: datetime, *, position: int = 0
) -> Reservation | NoCapacity:
    with sessions.begin() as session:
        return senders.reserve(session, at, waiting_ahead=lambda: position)


def sent(sessions: sessionmaker[Session], senders: SenderPool, at: datetime) -> Reservation:
    taken = reserve(sessions, senders, at)
    assert isinstance(taken, Reservation)
    with sessions.begin() as session:
        senders.sent(session, taken, at)
    return taken


def rest(sessions: sessionmaker[Session], senders: SenderPool, at: datetime, retry_after: float) -> datetime:
    with sessions.begin() as session:
        return senders.rest(session, A, at, retry_after)


def test_the_budget_is_a_rolling_24_hours_not_a_calendar_day(sessions: sessionmaker[Session]) -> None:
    senders = pool(budget=2)
    sent(sessions, senders, EVENING)
    sent(sessions, senders, EVENING + timedelta(minutes=30))

    after_midnight = EVENING + timedelta(hours=2)
    full = reserve(sessions, senders, after_midnight)
    assert isinstance(full, NoCapacity), "a new UTC day frees nothing: Gmail still counts last night"
    assert full.until == EVENING + timedelta(hours=24)
    assert full.at_budget == 1
    assert isinstance(reserve(sessions, senders, EVENING + timedelta(hours=24)), Reservation)
    assert isinstance(reserve(sessions, senders, EVENING + timedelta(hours=24)), NoCapacity)
    with sessions() as session:
        kept = session.scalar(select(func.count()).select_from(MailSend))
    assert kept == 2, "sends older than 24 hours are pruned"


def test_a_rate_limited_sender_rests_twice_as_long_each_time_capped(sessions: sessionmaker[Session]) -> None:
    senders = pool(max_rest=8.0)
    now = EVENING
    rests = []
    for _ in range(6):
        until = rest(sessions, senders, now, retry_after=1)
        rests.append((until - now).total_seconds())
        assert isinstance(reserve(sessions, senders, until - timedelta(milliseconds=1)), NoCapacity)
        now = until
    assert rests == [1, 2, 4, 8, 8, 8]

    with sessions.begin() as session:
        taken = senders.reserve(session, now)
        assert isinstance(taken, Reservation)
        senders.sent(session, taken, now)
    assert (rest(sessions, senders, now, retry_after=1) - now).total_seconds() == 1, "a send resets it"


def test_a_429_for_a_send_begun_before_the_rest_is_not_a_repeat(sessions: sessionmaker[Session]) -> None:
    senders = pool()
    first = rest(sessions, senders, EVENING, retry_after=1)
    again = rest(sessions, senders, EVENING + timedelta(milliseconds=200), retry_after=1)
    assert again == EVENING + timedelta(milliseconds=200) + timedelta(seconds=1)
    assert (first - EVENING).total_seconds() == 1
    after = rest(sessions, senders, again, retry_after=1)
    assert (after - again).total_seconds() == 2, "the next 429 after the rest is the second strike"


def test_a_long_retry_after_is_honoured_above_the_cap(sessions: sessionmaker[Session]) -> None:
    until = rest(sessions, pool(max_rest=8.0), EVENING, retry_after=120)
    assert until == EVENING + timedelta(seconds=120)


def test_other_senders_go_on_while_one_rests(sessions: sessionmaker[Session]) -> None:
    senders = pool(A, B)
    rest(sessions, senders, EVENING, retry_after=1)
    taken = reserve(sessions, senders, EVENING)
    assert isinstance(taken, Reservation)
    assert taken.sender == B


def test_gmails_daily_limit_answer_exhausts_a_sender_until_the_time_it_gave(
    sessions: sessionmaker[Session],
) -> None:
    senders = pool(A, budget=100)
    with sessions.begin() as session:
        until = senders.exhaust(session, A, EVENING, retry_after=3 * 3600)
    assert until == EVENING + timedelta(hours=3)
    full = reserve(sessions, senders, EVENING + timedelta(hours=2))
    assert isinstance(full, NoCapacity)
    assert (full.until, full.exhausted) == (until, 1)
    assert "daily sending limit" in full.describe()
    assert isinstance(reserve(sessions, senders, until), Reservation)


def test_each_waiting_delivery_is_given_its_own_turn(sessions: sessionmaker[Session]) -> None:
    senders = pool(A, B, budget=1)
    sent(sessions, senders, EVENING)  # A
    sent(sessions, senders, EVENING + timedelta(minutes=1))  # B

    def turn(position: int) -> datetime:
        full = reserve(sessions, senders, EVENING + timedelta(minutes=2), position=position)
        assert isinstance(full, NoCapacity)
        return full.until

    day = timedelta(hours=24)
    assert turn(0) == EVENING + day, "the earliest moment any sender has room"
    assert turn(1) == EVENING + day + timedelta(minutes=1)
    assert turn(2) == EVENING + 2 * day, "a line longer than a day's slots waits for the next"
    assert turn(5) == EVENING + 3 * day + timedelta(minutes=1)


def test_the_line_ahead_is_counted_only_when_no_sender_is_free(sessions: sessionmaker[Session]) -> None:
    """Counting the deliveries ahead reads every open one before the caller's: asked for each
    email, a backlog made it a delivery's costliest query, for an answer only a full pool uses."""
    senders, asked = pool(A, budget=1), []

    def ahead() -> int:
        asked.append(1)
        return 3

    with sessions.begin() as session:
        assert isinstance(senders.reserve(session, EVENING, waiting_ahead=ahead), Reservation)
    assert asked == []
    with sessions.begin() as session:
        assert isinstance(senders.reserve(session, EVENING, waiting_ahead=ahead), NoCapacity)
    assert asked == [1]


def test_a_rest_ending_frees_every_unused_slot_at_once(sessions: sessionmaker[Session]) -> None:
    senders = pool(A, budget=1900)
    until = rest(sessions, senders, EVENING, retry_after=1)
    full = reserve(sessions, senders, EVENING, position=25)
    assert isinstance(full, NoCapacity)
    assert (full.until, full.resting) == (until, 1), "twenty-five waiting all fit when it ends"


def test_two_workers_never_take_the_last_slot_together(database_url: str, engine: Engine) -> None:
    """Each worker with its own engine (as two processes), starting at the same instant."""
    senders = pool(A, B, budget=1)
    outcomes: list[object] = []
    barrier = threading.Barrier(4)

    def take() -> None:
        own = make_engine(database_url)
        try:
            with session_factory(own).begin() as session:
                barrier.wait()
                outcomes.append(senders.reserve(session, EVENING))
        finally:
            own.dispose()

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    taken = sorted(o.sender for o in outcomes if isinstance(o, Reservation))
    assert taken == [A, B], "one slot each, no more"
    assert sum(isinstance(o, NoCapacity) for o in outcomes) == 2


@pytest.mark.parametrize("budget", [1, 3])
def test_a_lowered_budget_counts_the_excess_before_freeing_slots(
    sessions: sessionmaker[Session], budget: int
) -> None:
    generous = pool(A, budget=3)
    for minute in range(3):
        sent(sessions, generous, EVENING + timedelta(minutes=minute))
    full = reserve(sessions, pool(A, budget=budget), EVENING + timedelta(hours=1))
    assert isinstance(full, NoCapacity)
    assert full.until == EVENING + timedelta(hours=24, minutes=3 - budget)
