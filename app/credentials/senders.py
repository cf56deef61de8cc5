"""The pool of Gmail sender mailboxes, budgeted over Gmail's rolling 24 hours, in the database.

Why the database: several workers and replicas send from the same mailboxes, and only a shared
count keeps them together under Gmail's per-sender limit. Why one row per send rather than a
counter: Gmail's limit is a *rolling* 24 hours, so a slot comes free exactly 24 h after the
send that took it (a per-day counter restarts at midnight while Gmail still counts yesterday
evening, and most sends bounce). Rows older than 24 h are pruned, so a sender holds at most its
budget of them — 2,000 small rows a day is nothing to count. (Hourly buckets would be fewer
rows, but to stay under Gmail they must count a bucket whole until its last send leaves the
window, freeing slots up to an hour late.)

Three things keep a sender from sending:

* **resting** — Gmail answered a short rate limit (429, rate-limit 403): wait its Retry-After,
  and twice as long each time it answers so again (1, 2, 4 ... s, capped); other senders go on;
* **exhausted** — Gmail answered its *daily* sending limit: no sends until the time it gave;
* **at budget** — our own count of the last 24 hours reached ``mail_sender_daily_budget``.

A reservation is one transaction: the pool's rows (created race-free with ``INSERT ... ON
CONFLICT DO NOTHING``) are locked ``FOR UPDATE``, the last 24 hours counted and a send row
inserted, so two workers never take the last slot; on SQLite ``BEGIN IMMEDIATE`` serializes
the same way. Callers commit right after and send outside the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import Counter
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db.budget_models import MailSend, SenderState

#: Gmail's sending window (a pool may be given a shorter one: ``mail_sender_window_seconds``).
WINDOW = timedelta(hours=24)
#: When Gmail answers its daily limit without saying until when, look again after this.
DAILY_LIMIT_PROBE = timedelta(hours=1)

PAUSES = Counter("misena_mail_sender_pauses_total", "Senders paused after a Gmail limit answer", ["kind"])


@dataclass(frozen=True)
class Reservation:
    """A slot taken: ``send_id`` is the send row, confirmed by :meth:`SenderPool.sent` or
    given back by :meth:`SenderPool.release` when Gmail did not take the message."""

    sender: str
    send_id: int


@dataclass(frozen=True)
class NoCapacity:
    """No sender may send now. ``until`` is when one is estimated to have room for this caller
    (its place in the line counted), so a long backlog does not all wake at the first slot."""

    until: datetime
    resting: int
    exhausted: int
    at_budget: int

    def describe(self) -> str:
        parts = [
            f"{count} {what}"
            for count, what in (
                (self.resting, "resting after a Gmail rate limit"),
                (self.exhausted, "at Gmail's daily sending limit"),
                (self.at_budget, "at their 24-hour budget"),
            )
            if count
        ]
        return "senders " + ", ".join(parts) if parts else "no sender configured"


class SenderPool:
    """The configured senders, their budget and how long a rate-limited one rests."""

    def __init__(
        self,
        senders: Sequence[str],
        budget: int,
        *,
        max_rest_seconds: float,
        first_rest_seconds: float = 1.0,
        window: timedelta = WINDOW,
    ) -> None:
        self.senders = tuple(dict.fromkeys(s.lower() for s in senders))
        self.budget = budget
        self.max_rest = max_rest_seconds
        self.first_rest = first_rest_seconds
        self.window = window

    # -- taking a slot ------------------------------------------------------------------------

    def reserve(
        self,
        session: Session,
        now: datetime,
        *,
        exclude: Collection[str] = (),
        waiting_ahead: Callable[[], int] = lambda: 0,
    ) -> Reservation | NoCapacity:
        """The least-used sender free to send, with one send counted; or when one will be.

        ``waiting_ahead`` counts the deliveries waiting ahead of the caller, for the estimate.
        It is asked only when no sender is free: the count reads every open delivery before
        the caller's, a query per email that a backlog of thousands made the costliest of a
        delivery when it was counted up front, and the answer mattered only without capacity.
        """
        states = self._lock(session)
        session.execute(
            delete(MailSend).where(MailSend.sender.in_(self.senders), MailSend.sent_at <= now - self.window)
        )
        counts = self._counts(session, now)
        free = [
            sender
            for sender in self.senders
            if sender not in exclude
            and _blocked_until(states[sender], now) is None
            and counts.get(sender, 0) < self.budget
        ]
        if free:
            chosen = min(free, key=lambda sender: (counts.get(sender, 0), sender))
            send = MailSend(sender=chosen, sent_at=now)
            session.add(send)
            session.flush()
            return Reservation(chosen, send.id)
        return self._no_capacity(session, states, counts, now, waiting_ahead())

    def sent(self, session: Session, reservation: Reservation, at: datetime) -> None:
        """Gmail took the message: count it from ``at`` (after the send, so our slot frees no
        earlier than Gmail's) and end the sender's run of rate limits."""
        session.execute(update(MailSend).where(MailSend.id == reservation.send_id).values(sent_at=at))
        session.execute(
            update(SenderState)
            .where(SenderState.sender == reservation.sender, SenderState.rest_strikes > 0)
            .values(rest_strikes=0)
        )

    def release(self, session: Session, reservation: Reservation) -> None:
        """Gmail did not take the message (refused, rate limited): the slot is free again."""
        session.execute(delete(MailSend).where(MailSend.id == reservation.send_id))

    # -- Gmail's answers ----------------------------------------------------------------------

    def rest(self, session: Session, sender: str, now: datetime, retry_after: float | None) -> datetime:
        """A short rate limit: rest ``max(Retry-After, backoff)``, the backoff doubling while the
        sender keeps answering so. A 429 for a send reserved before the rest began is the same
        episode, not a repeat: it extends nothing and counts no strike."""
        state = self._lock(session)[sender]
        asked = timedelta(seconds=max(retry_after or 0.0, 0.0))
        if state.resting_until is not None and state.resting_until > now:
            state.resting_until = max(state.resting_until, now + asked)
            return state.resting_until
        state.rest_strikes += 1
        backoff = min(self.max_rest, self.first_rest * 2.0 ** min(state.rest_strikes - 1, 30))
        state.resting_until = now + max(asked, timedelta(seconds=backoff))
        PAUSES.labels("rate_limit").inc()
        return state.resting_until

    def exhaust(self, session: Session, sender: str, now: datetime, retry_after: float | None) -> datetime:
        """Gmail's daily sending limit: no sends until the time it gave (or a probe later)."""
        state = self._lock(session)[sender]
        until = now + (timedelta(seconds=retry_after) if retry_after else DAILY_LIMIT_PROBE)
        state.exhausted_until = max(state.exhausted_until or until, until)
        PAUSES.labels("daily_limit").inc()
        return state.exhausted_until

    # -- helpers ------------------------------------------------------------------------------

    def _lock(self, session: Session) -> dict[str, SenderState]:
        """The pool's rows, created if new and locked: the one step reservations serialize on."""
        if not self.senders:
            return {}
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(
            insert(SenderState)
            .values([{"sender": sender, "rest_strikes": 0} for sender in self.senders])
            .on_conflict_do_nothing(index_elements=["sender"])
        )
        rows = session.scalars(
            select(SenderState)
            .where(SenderState.sender.in_(self.senders))
            .order_by(SenderState.sender)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {row.sender: row for row in rows}

    def _counts(self, session: Session, now: datetime) -> dict[str, int]:
        rows = session.execute(
            select(MailSend.sender, func.count())
            .where(MailSend.sender.in_(self.senders), MailSend.sent_at > now - self.window)
            .group_by(MailSend.sender)
        )
        return {sender: int(count) for sender, count in rows}

    def _no_capacity(
        self,
        session: Session,
        states: dict[str, SenderState],
        counts: dict[str, int],
        now: datetime,
        position: int,
    ) -> NoCapacity:
        """When the ``position``-th next slot of the whole pool comes free.

        Each sender offers ``budget`` slots in any 24 hours: the unused ones when its rest or
        exhaustion ends, the others each 24 h after the send holding it (past any excess, when
        the budget was lowered). Merged and sorted, entry ``position`` is the caller's turn; a
        line longer than a day's slots wraps around into the following days.
        """
        sent_times: dict[str, list[datetime]] = {sender: [] for sender in self.senders}
        for sender, sent_at in session.execute(
            select(MailSend.sender, MailSend.sent_at)
            .where(MailSend.sender.in_(self.senders), MailSend.sent_at > now - self.window)
            .order_by(MailSend.sent_at)
        ):
            sent_times[sender].append(sent_at)
        wanted = position + 1
        slots: list[datetime] = []
        resting = exhausted = at_budget = 0
        for sender in self.senders:
            state, count = states[sender], counts.get(sender, 0)
            block = _blocked_until(state, now) or now
            if state.exhausted_until is not None and state.exhausted_until > now:
                exhausted += 1
            elif state.resting_until is not None and state.resting_until > now:
                resting += 1
            elif count >= self.budget:
                at_budget += 1
            unused = max(self.budget - count, 0)
            slots.extend([block] * min(unused, wanted))
            expiring = sent_times[sender][max(count - self.budget, 0) :][:wanted]
            slots.extend(max(block, sent_at + self.window) for sent_at in expiring)
        slots.sort()
        per_day = self.budget * len(self.senders)
        laps, index = divmod(position, per_day)
        until = slots[min(index, len(slots) - 1)] + laps * self.window if slots else now + self.window
        return NoCapacity(until, resting, exhausted, at_budget)


def _blocked_until(state: SenderState, now: datetime) -> datetime | None:
    """Until when a rest or Gmail's daily limit keeps this sender from sending (None: free)."""
    ends = [end for end in (state.resting_until, state.exhausted_until) if end is not None and end > now]
    return max(ends) if ends else None
