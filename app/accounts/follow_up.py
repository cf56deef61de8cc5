"""The follow-up of people who never signed in: reminders with a fresh password, then the help desk.

The policy (``MISENA_REMINDER_*``): ``reminder_after_days`` after the credentials email, a person
who has not signed in gets a reminder — a fresh temporary password set on Google (so the old one
stops working) and emailed in Spanish through the sender pool, like any credentials. After each
reminder, ``reminder_interval_days`` more; at most ``reminder_max`` reminders, and one interval
after the last one, the person is flagged for the help desk (``people.flagged_at`` and why).

One rule, here: who is due now. Credentials delivered (a ``sent`` delivery), no first sign-in,
the account active and managed (not suspended by anyone, not excluded by IT staff or the
configuration), nothing in flight (no open delivery), not flagged, and the wait since the last
email (delivered, or refused for good) over. A refused reminder spends its round: the person is
not re-sent every turn, and ends flagged like the others.

A reminder is an ordinary credentials delivery (reason ``reminder``) and its ``deliver_credentials``
job — the machinery IT staff's resend uses — so it waits for sender capacity, retries with backoff,
and a retried job finds the delivery already ``sent`` and sends nothing twice. Each reminder and
each flag is in the audit trail, by ``misena``, in the transaction that decides it.

A person who signs in after being flagged keeps ``flagged_at`` (history) but is no longer shown
as flagged: their state is ``signed_in`` and the activation report counts them signed in only.

The step runs in the sign-in checker's loop, right after a check: what it reads is at most one
check old. The turn is claimed through ``schedule_marks`` so one process among the replicas runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Subquery, and_, case, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.credentials.delivery import OPEN, request_new_credentials
from app.db.models import CredentialDelivery, Person
from app.db.states import AccountStatus, DeliveryReason, DeliveryStatus
from app.jobs.schedule import claim_turn
from app.logging_setup import get_logger
from app.people import repository as people
from app.settings import Settings
from app.staff.audit import SYSTEM_ACTOR
from app.staff.audit import record as audit

log = get_logger(__name__)

CHECK_NAME = "follow_up"
#: Settled ends of an email: delivered, or refused for good (a round spent either way).
_SETTLED = (DeliveryStatus.SENT, DeliveryStatus.FAILED)


class FollowUpState(StrEnum):
    """Where a person stands in the follow-up (``GET /v1/people/{id}``: ``follow_up.state``)."""

    #: no credentials email has reached them yet
    NOT_DELIVERED = "not_delivered"
    #: credentials delivered, waiting for the first sign-in (no reminder yet)
    WAITING = "waiting"
    #: reminded at least once, still no sign-in
    REMINDED = "reminded"
    #: every reminder spent and still no sign-in: the help desk calls them
    FLAGGED = "flagged"
    SIGNED_IN = "signed_in"


@dataclass(frozen=True)
class FollowUpPolicy:
    first_wait: timedelta
    between: timedelta
    max_reminders: int

    @classmethod
    def of(cls, settings: Settings) -> FollowUpPolicy:
        return cls(
            first_wait=timedelta(days=settings.reminder_after_days),
            between=timedelta(days=settings.reminder_interval_days),
            max_reminders=settings.reminder_max,
        )

    def wait(self, rounds: int) -> timedelta:
        """How long after the last email the next step comes: the first wait, then the interval."""
        return self.first_wait if rounds == 0 else self.between


def contacts() -> Subquery:
    """Per person, from their credential deliveries (one grouped pass): emails delivered,
    reminders delivered, rounds spent (reminders delivered or refused), the last email (when
    delivered or, refused, requested), the last reminder, open requests, and whether the latest
    settled delivery was refused (``last_failed_id`` above ``last_sent_id``)."""
    d = CredentialDelivery
    sent = d.status == DeliveryStatus.SENT
    reminder = d.reason == DeliveryReason.REMINDER
    return (
        select(
            d.person_id.label("person_id"),
            func.count(case((sent, 1))).label("delivered"),
            func.count(case((and_(sent, reminder), 1))).label("reminders_sent"),
            func.count(case((and_(reminder, d.status.in_(_SETTLED)), 1))).label("rounds"),
            func.max(case((d.status.in_(_SETTLED), func.coalesce(d.delivered_at, d.requested_at)))).label(
                "last_contact_at"
            ),
            func.max(case((and_(sent, reminder), d.delivered_at))).label("last_reminded_at"),
            func.count(case((d.status.in_(OPEN), 1))).label("open"),
            func.max(case((sent, d.id))).label("last_sent_id"),
            func.max(case((d.status == DeliveryStatus.FAILED, d.id))).label("last_failed_id"),
        )
        .group_by(d.person_id)
        .subquery("contacts")
    )


@dataclass(frozen=True)
class FollowUpResult:
    reminded: list[int]
    flagged: list[int]


def _due(session: Session, now: datetime, policy: FollowUpPolicy, person_id: int | None = None) -> list[Any]:
    """The people the rule may concern now, with their rounds and last email (the wait is
    checked per person by :func:`_step`; the query only drops those inside the shorter wait)."""
    c = contacts()
    earliest = now - min(policy.first_wait, policy.between)
    statement = (
        select(Person.id, c.c.rounds, c.c.last_contact_at)
        .join(c, c.c.person_id == Person.id)
        .where(
            Person.first_signed_in_at.is_(None),
            Person.flagged_at.is_(None),
            Person.excluded.is_(False),
            Person.staff_suspended.is_(False),
            Person.account_status == AccountStatus.ACTIVE,
            Person.primary_email.is_not(None),
            Person.personal_email.is_not(None),
            c.c.delivered > 0,
            c.c.open == 0,
            c.c.last_contact_at <= earliest,
        )
        .order_by(Person.id)
    )
    if person_id is not None:
        statement = statement.where(Person.id == person_id)
    return list(session.execute(statement))


def _step(rounds: int, last_contact_at: datetime, now: datetime, policy: FollowUpPolicy) -> str | None:
    if last_contact_at > now - policy.wait(rounds):
        return None
    return "remind" if rounds < policy.max_reminders else "flag"


def follow_up(sessions: sessionmaker[Session], now: datetime, policy: FollowUpPolicy) -> FollowUpResult:
    """Remind or flag each person due now; each decision in its own transaction, re-checked
    under the person's lock (a reconcile or IT staff may have changed them meanwhile)."""
    with sessions() as session:
        candidates = [row.id for row in _due(session, now, policy)]
    result = FollowUpResult(reminded=[], flagged=[])
    for person_id in candidates:
        with sessions.begin() as session:
            person = people.lock(session, person_id)
            rows = _due(session, now, policy, person_id) if person is not None else []
            step = _step(int(rows[0].rounds), rows[0].last_contact_at, now, policy) if rows else None
            if person is None or person.primary_email is None or step is None:
                continue
            if step == "remind":
                _remind(session, person, person.primary_email, int(rows[0].rounds) + 1, now)
                result.reminded.append(person_id)
            else:
                _flag(session, person, int(rows[0].rounds), now, policy)
                result.flagged.append(person_id)
    log.info("follow_up_done", reminded=len(result.reminded), flagged=len(result.flagged))
    return result


def _remind(session: Session, person: Person, address: str, round_number: int, now: datetime) -> None:
    delivery = request_new_credentials(session, person, address, DeliveryReason.REMINDER, now)
    audit(session, actor=SYSTEM_ACTOR, action="person.reminder", at=now, person_id=person.id,
          details={"round": round_number, "delivery_id": delivery.id})  # fmt: skip


def _flag(session: Session, person: Person, rounds: int, now: datetime, policy: FollowUpPolicy) -> None:
    days = policy.wait(rounds).days
    person.flagged_at = now
    person.flag_reason = (
        f"No first sign-in {days} days after the last email ({rounds} reminders sent): "
        "the help desk should contact the person."
    )
    audit(session, actor=SYSTEM_ACTOR, action="person.flagged", at=now, person_id=person.id,
          reason=person.flag_reason, details={"reminders": rounds})  # fmt: skip


def run_scheduled_follow_up(
    sessions: sessionmaker[Session], now: datetime, interval: timedelta, policy: FollowUpPolicy
) -> FollowUpResult | None:
    """The worker's step: the follow-up, when this process won the turn (else ``None``)."""
    if not claim_turn(sessions, CHECK_NAME, now, interval):
        return None
    return follow_up(sessions, now, policy)


@dataclass(frozen=True)
class PersonFollowUp:
    """One person's follow-up, as their picture shows it."""

    state: FollowUpState
    reminders_sent: int
    last_reminded_at: datetime | None
    flagged_at: datetime | None
    flag_reason: str | None
    #: when the next reminder (or the flag) is due, if one is coming
    next_step_at: datetime | None


def person_follow_up(session: Session, person: Person, policy: FollowUpPolicy) -> PersonFollowUp:
    c = contacts()
    row = session.execute(select(c).where(c.c.person_id == person.id)).first()
    delivered = bool(row and row.delivered)
    reminders = int(row.reminders_sent) if row else 0
    if person.first_signed_in_at is not None:
        state = FollowUpState.SIGNED_IN
    elif person.flagged_at is not None:
        state = FollowUpState.FLAGGED
    elif not delivered:
        state = FollowUpState.NOT_DELIVERED
    else:
        state = FollowUpState.REMINDED if reminders else FollowUpState.WAITING
    following = state in (FollowUpState.WAITING, FollowUpState.REMINDED)
    next_at = row.last_contact_at + policy.wait(int(row.rounds)) if following and row else None
    return PersonFollowUp(
        state=state,
        reminders_sent=reminders,
        last_reminded_at=row.last_reminded_at if row else None,
        flagged_at=person.flagged_at,
        flag_reason=person.flag_reason,
        next_step_at=next_at,
    )
