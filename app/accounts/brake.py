"""The suspension circuit breaker: the event path's guard against a feed that "withdraws" everyone.

Every lifecycle suspension asks :meth:`SuspensionBrake.request` first. Admitted suspensions
are written to a sliding window (``suspensions``); once the window holds ``limit`` of them,
further requests are *held* (``suspension_holds``) — never dropped, never applied — until IT
staff release or discard them. The decision is serialized across workers and replicas (an
advisory lock on PostgreSQL, the single writer on SQLite), so two workers cannot both take
the last slot. A held suspension whose person becomes active again (Sofia corrected the feed)
turns ``obsolete`` by itself on the next reconcile.

A retried job does not count twice: a person already admitted inside the window, for the same
reason, is admitted again without a new slot. A suspension IT staff confirmed in a bulk plan
(:mod:`app.accounts.approvals`) is admitted once past the limit, and counts in the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from prometheus_client import Counter
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from app.accounts import approvals
from app.clock import Clock
from app.db.models import Suspension, SuspensionHold
from app.db.states import HoldState, SuspensionSource
from app.logging_setup import get_logger
from app.settings import BrakeSettings
from sofia_sync.held_suspensions import HoldDecision, LatestHold, staff_decision

log = get_logger(__name__)

SUSPENSIONS = Counter("misena_lifecycle_suspensions_total", "Lifecycle suspension requests", ["decision"])
BRAKE_TRIPS = Counter("misena_suspension_brake_holds_total", "Suspensions held back by the circuit breaker")
#: The admitted suspensions the window counts (``released`` ones are IT staff's own decision).
COUNTED = (SuspensionSource.BRAKE, SuspensionSource.CONFIRMED)
#: Advisory lock key serializing brake decisions on PostgreSQL ("brake").
_BRAKE_LOCK = 0x6272616B65


class Decision(StrEnum):
    ADMITTED = "admitted"
    HELD = "held"
    DISCARDED = "discarded"


@dataclass(frozen=True)
class HeldSuspension:
    id: int
    person_id: int
    reason: str
    state: HoldState
    held_at: datetime


class SuspensionBrake:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: BrakeSettings,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._clock = clock

    def request(self, person_id: int, reason: str) -> Decision:
        """May misena suspend this person's account now, for this reason?"""
        with self._sessions.begin() as session:
            self._serialize(session)
            decision = self._decide(session, person_id, reason, self._clock())
        SUSPENSIONS.labels(decision.value).inc()
        return decision

    def _decide(self, session: Session, person_id: int, reason: str, now: datetime) -> Decision:
        latest = _latest_hold(session, person_id)
        decided = staff_decision(LatestHold(latest.state, latest.reason) if latest else None, reason)
        if decided is HoldDecision.RELEASED:
            session.add(
                Suspension(
                    person_id=person_id, reason=reason, admitted_at=now, source=SuspensionSource.RELEASED
                )
            )
            return Decision.ADMITTED
        if decided is HoldDecision.DISCARDED:
            return Decision.DISCARDED
        if decided is HoldDecision.HELD:
            return Decision.HELD
        since = now - timedelta(seconds=self._settings.window_seconds)
        if self._admitted_before(session, person_id, reason, since) or _confirmed(
            session, person_id, reason, now
        ):
            return Decision.ADMITTED
        if not self._window_full(session, now):
            session.add(
                Suspension(person_id=person_id, reason=reason, admitted_at=now, source=SuspensionSource.BRAKE)
            )
            return Decision.ADMITTED
        session.add(SuspensionHold(person_id=person_id, reason=reason, state=HoldState.HELD, held_at=now))
        BRAKE_TRIPS.inc()
        log.error(
            "suspension_brake_engaged",
            alert=True,
            person_id=person_id,
            limit=self._settings.limit,
            window_seconds=self._settings.window_seconds,
            detail="lifecycle suspensions exceed the limit; held for IT staff to release or discard",
        )
        return Decision.HELD

    def _window_full(self, session: Session, now: datetime) -> bool:
        """The one rule of when the brake holds: the sliding window already counts ``limit``
        admitted suspensions, so the next one not admitted before is held."""
        since = now - timedelta(seconds=self._settings.window_seconds)
        in_window = session.scalar(
            select(func.count(Suspension.id)).where(
                Suspension.admitted_at > since, Suspension.source.in_(COUNTED)
            )
        )
        return (in_window or 0) >= self._settings.limit

    def engaged(self) -> bool:
        """Would a new lifecycle suspension be held now (``misena_suspension_brake_engaged``)?"""
        with self._sessions() as session:
            return self._window_full(session, self._clock())

    @staticmethod
    def _admitted_before(session: Session, person_id: int, reason: str, since: datetime) -> bool:
        found = session.scalars(
            select(Suspension.id)
            .where(
                Suspension.person_id == person_id,
                Suspension.reason == reason,
                Suspension.admitted_at > since,
            )
            .limit(1)
        ).first()
        return found is not None

    def _serialize(self, session: Session) -> None:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _BRAKE_LOCK})

    def settle(self, person_id: int, *, ending: bool = False) -> bool:
        """The person should be active: their holds (and any decision on them) are obsolete,
        so a later suspension is judged afresh. True if some hold was made obsolete now.

        ``ending``: a grace period is running out. Unless it is, a suspension IT staff
        confirmed in a bulk plan is void too (the ending they confirmed is over)."""
        with self._sessions() as session:
            held = _latest_hold(session, person_id) is not None
            approved = not ending and approvals.has_open(session, person_id)
        if not held and not approved:
            return False
        with self._sessions.begin() as session:
            if approved:
                approvals.void(session, person_id, self._clock())
            if not held:
                return False
            session.execute(
                update(SuspensionHold)
                .where(SuspensionHold.person_id == person_id, SuspensionHold.state != HoldState.OBSOLETE)
                .values(
                    state=HoldState.OBSOLETE,
                    decided_at=self._clock(),
                    decided_by="misena: person active again",
                )
            )
        return True

    def held(self, limit: int = 1000) -> list[HeldSuspension]:
        with self._sessions() as session:
            rows = session.scalars(
                select(SuspensionHold)
                .where(SuspensionHold.state == HoldState.HELD)
                .order_by(SuspensionHold.id)
                .limit(limit)
            )
            return [HeldSuspension(r.id, r.person_id, r.reason, r.state, r.held_at) for r in rows]

    def held_count(self) -> int:
        with self._sessions() as session:
            count = session.scalar(
                select(func.count(SuspensionHold.id)).where(SuspensionHold.state == HoldState.HELD)
            )
            return int(count or 0)


def _confirmed(session: Session, person_id: int, reason: str, now: datetime) -> bool:
    """IT staff confirmed this suspension in a bulk plan: admitted past the limit, once, and
    counted in the window like any other."""
    if not approvals.take(session, person_id, reason, now):
        return False
    session.add(
        Suspension(person_id=person_id, reason=reason, admitted_at=now, source=SuspensionSource.CONFIRMED)
    )
    log.info("suspension_confirmed_admitted", person_id=person_id)
    return True


def _latest_hold(session: Session, person_id: int) -> SuspensionHold | None:
    return session.scalars(
        select(SuspensionHold)
        .where(SuspensionHold.person_id == person_id, SuspensionHold.state != HoldState.OBSOLETE)
        .order_by(SuspensionHold.id.desc())
        .limit(1)
    ).first()
