"""The outbox job behind credentials the reconcile sends inline.

The reconcile sends a new account's credentials itself, with the password it just set (one
call fewer). The outbox guarantee still needs a job committed in the same transaction as the
delivery request — if the process dies before the send, the job sends later — but a job left
behind after a successful inline send would only find nothing to do, and one per enrolment
clutters the queue IT staff read. So the job is queued due a little later than now, and the
reconcile removes it once the inline send went out, or brings it forward when the send failed.

No worker claims it meanwhile anyway: the person's reconcile job is running under a live lease
(renewed while it runs), and the queue never runs two jobs of one person at once. So the delay
is only a margin, kept short: after a crash the job waits for the dead worker's lease to
expire, then sends — a longer delay would only keep the person waiting longer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.credentials.delivery import OPEN
from app.db.models import CredentialDelivery, Job, Person
from app.db.states import AccountStatus, DeliveryStatus, JobKind, JobState
from app.jobs.outbox import discard_pending, enqueue
from app.people import repository as people

#: How long a delivery job waits for the inline send before it may send by itself.
INLINE_SEND_GRACE = timedelta(seconds=10)
#: Delivery states that need no job; any other (``pending``, ``waiting``, or a state the
#: courier adds later) keeps the job: an unknown state can leave an idle job, never a lost email.
SETTLED = (DeliveryStatus.SENT, DeliveryStatus.SUPERSEDED, DeliveryStatus.NO_RECIPIENT, DeliveryStatus.FAILED)


def queue_behind_inline_send(session: Session, person_id: int, now: datetime) -> None:
    """In the transaction that requests the delivery: the job that sends if the reconcile dies."""
    enqueue(session, JobKind.DELIVER, person_id, now=now, run_after=now + INLINE_SEND_GRACE)


def drop_if_idle(sessions: sessionmaker[Session], person_id: int) -> bool:
    """After the inline send: remove the person's pending delivery job if nothing is left for
    it to send (another delivery requested meanwhile, e.g. by IT staff, keeps it)."""
    with sessions.begin() as session:
        people.lock(session, person_id)
        unsettled = session.scalars(
            select(CredentialDelivery.id)
            .where(CredentialDelivery.person_id == person_id, CredentialDelivery.status.not_in(SETTLED))
            .limit(1)
        ).first()
        if unsettled is not None:
            return False
        return discard_pending(session, JobKind.DELIVER, person_id)


def bring_forward(
    sessions: sessionmaker[Session], person_id: int, retry_after: float | None, now: datetime
) -> None:
    """The inline send failed: the queued job sends as soon as the reconcile ends, or when the
    failure said to retry (a sender's rest) if that is sooner than it was due. ``now`` is the
    reconciler's clock."""
    due = now + timedelta(seconds=retry_after) if retry_after else now
    with sessions.begin() as session:
        enqueue(session, JobKind.DELIVER, person_id, now=now, run_after=due)


def readdress(session: Session, person: Person, now: datetime) -> bool:
    """Credentials still to send go to the personal email Sofia Plus holds *now*, and have a job.

    Called by every reconcile of an existing account. A person enrolled without a personal
    email has a ``no_recipient`` delivery; when a later ``person.updated`` brings one, the
    credentials go out (before, they never did). An open delivery whose recipient was
    corrected meanwhile follows the correction. And an open delivery with no job to send it —
    its job found the account deleted in Google and handed over to this reconcile, which has
    just restored it — gets one. Returns True when a job was queued (caller's transaction).
    """
    rows = list(
        session.scalars(
            select(CredentialDelivery)
            .where(
                CredentialDelivery.person_id == person.id,
                CredentialDelivery.status.in_((*OPEN, DeliveryStatus.NO_RECIPIENT)),
            )
            .order_by(CredentialDelivery.id.desc())
        )
    )
    email = people.record_of(person).personal_email
    changed = bool(rows) and email is not None and _address(rows, email)
    if changed and person.account_status == AccountStatus.CREDENTIALS_PENDING:
        person.status_reason = None
    if not any(row.status in OPEN for row in rows) or (not changed and _has_job(session, person.id)):
        return False
    enqueue(session, JobKind.DELIVER, person.id, now=now)
    return True


def _address(rows: list[CredentialDelivery], email: str) -> bool:
    """Point the latest request at ``email``; older ones are answered by its email."""
    latest, older = rows[0], rows[1:]
    if latest.status != DeliveryStatus.NO_RECIPIENT and latest.recipient_email == email and not older:
        return False
    latest.recipient_email = email
    if latest.status == DeliveryStatus.NO_RECIPIENT:
        latest.status = DeliveryStatus.PENDING
    for row in older:  # each would set a password of its own; the latest one's is the one
        row.status = DeliveryStatus.SUPERSEDED
    return True


def _has_job(session: Session, person_id: int) -> bool:
    found = session.scalars(
        select(Job.id)
        .where(
            Job.person_id == person_id,
            Job.kind == JobKind.DELIVER,
            Job.state.in_((JobState.PENDING, JobState.RUNNING)),
        )
        .limit(1)
    ).first()
    return found is not None


#: The delivery states ``misena_credentials{state}`` reports, by the name operators alert on:
#: ``waiting_capacity`` is a person who has an account and no password yet because every sender
#: is at its daily limit.
REPORTED = {
    DeliveryStatus.PENDING: "pending",
    DeliveryStatus.SENT: "sent",
    DeliveryStatus.WAITING: "waiting_capacity",
}


def count_by_state(session: Session) -> dict[str, int]:
    """Credential deliveries in each reported state, zero if none (one grouped query)."""
    rows = session.execute(
        select(CredentialDelivery.status, func.count())
        .where(CredentialDelivery.status.in_(list(REPORTED)))
        .group_by(CredentialDelivery.status)
    )
    found = {DeliveryStatus(status): int(count) for status, count in rows}
    return {label: found.get(status, 0) for status, label in REPORTED.items()}
