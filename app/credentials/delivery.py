"""Credentials delivery: generate → set on the account → send → record delivered.

The one step that is not naturally idempotent, so it records its own completion. A retry
after any failure generates a fresh password and sets it again, so the password that works is
always the one in the last email the person received. Passwords live only in memory.

How each way a send can end is handled, and why:

* **no sender has room** (all resting after a rate limit, at Gmail's daily limit, or at our
  24-hour budget) — the delivery *waits*: status ``waiting`` with ``next_attempt_at`` (when a
  sender is estimated to have room for it), :class:`SendersExhausted` tells the worker to defer
  the job without spending an attempt. Waiting for capacity is not a failure, so it never
  dead-letters;
* **Gmail rate-limits the send** — that sender rests (see :mod:`app.credentials.senders`) and the next
  sender is tried at once with the same password (Gmail did not take the message);
* **Gmail refuses the message** (400: e.g. a personal address it will not send to) — the first
  time, the job tries once more with a fresh password (a refusal may be about that message);
  the second time the delivery is ``failed`` and the job dead with a reason IT staff can act on;
* **Gmail refuses the sender** (401/403: delegation) — the same, except that the delivery stays
  pending, so retrying the job after fixing the sender sends it;
* **Google fails** (5xx after the adapter's own retries) — an attempt spent, retried with
  backoff and a fresh password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from prometheus_client import Counter
from pydantic import SecretStr
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.clock import Clock
from app.credentials.passwords import generate_password
from app.credentials.senders import NoCapacity, Reservation, SenderPool
from app.db.models import CredentialDelivery, Person
from app.db.states import AccountStatus, DeliveryReason, DeliveryStatus, JobKind
from app.i18n import STAFF_LANGUAGE, translations
from app.jobs.outbox import enqueue
from app.logging_setup import get_logger
from app.people import repository as people
from app.settings import Settings
from sofia_sync.normalize import mask_email
from workspace.credential_email import CredentialEmail, render_credential_email
from workspace.errors import (
    DailyLimitExceeded,
    NotAuthorized,
    NotFound,
    PermanentError,
    RateLimited,
    RetryableError,
    WorkspaceError,
)
from workspace.ports import Directory, MailSender

OPEN = (DeliveryStatus.PENDING, DeliveryStatus.WAITING)
#: A wait is never shorter than this (the estimate can round to "now" under a race).
MIN_WAIT_SECONDS = 1.0
log = get_logger(__name__)

DELIVERIES = Counter("misena_credential_deliveries_total", "Credential delivery outcomes", ["result"])
_ADDRESS = re.compile(r"[^\s@<>()\"',;:]+@[^\s@<>()\"',;:]+")


class SendersExhausted(Exception):  # noqa: N818 - it is a state, not a failure
    """No sender may send now: the delivery waits ``retry_after`` seconds, never dropped."""

    def __init__(self, retry_after: float, detail: str = "every sender is resting or at its budget") -> None:
        super().__init__(f"waiting for sender capacity: {detail}")
        self.retry_after = retry_after


class DeliveryRefusedError(PermanentError):
    """Gmail refused the credentials for good; the message is the reason IT staff read."""


class RefusedOnceError(RetryableError):
    """Gmail refused a delivery's first send: the job retries once, with a fresh password."""


def request_delivery(
    session: Session, person: Person, account_email: str, reason: DeliveryReason, now: datetime
) -> CredentialDelivery:
    """Record that this person must receive credentials (in the caller's transaction)."""
    record = people.record_of(person)
    delivery = CredentialDelivery(
        person_id=person.id,
        account_email=account_email,
        recipient_email=record.personal_email,
        status=DeliveryStatus.PENDING if record.personal_email else DeliveryStatus.NO_RECIPIENT,
        attempts=0,
        requested_at=now,
        reason=reason,
    )
    session.add(delivery)
    if not record.personal_email:
        person.account_status = AccountStatus.CREDENTIALS_PENDING
        person.status_reason = "No personal email in Sofia Plus to send the credentials to."
    return delivery


def request_new_credentials(
    session: Session, person: Person, account_email: str, reason: DeliveryReason, now: datetime
) -> CredentialDelivery:
    """A fresh password emailed again (IT staff's resend, a follow-up reminder): any request
    still open is superseded by this one, and the job that sends it is queued — all in the
    caller's transaction. The send sets the new password, so the old one stops working."""
    session.execute(
        update(CredentialDelivery)
        .where(CredentialDelivery.person_id == person.id, CredentialDelivery.status.in_(OPEN))
        .values(status=DeliveryStatus.SUPERSEDED)
    )
    delivery = request_delivery(session, person, account_email, reason, now)
    session.flush()
    enqueue(session, JobKind.DELIVER, person.id, now=now)
    return delivery


@dataclass(frozen=True)
class DeliveryResult:
    sent: bool
    detail: str


@dataclass(frozen=True)
class _Target:
    delivery_id: int
    account: str
    recipient: str
    first_names: str
    reminder: bool


class Courier:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        directory: Directory,
        mail: MailSender,
        *,
        clock: Clock,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._directory = directory
        self._mail = mail
        self._clock = clock
        self.pool = SenderPool(
            settings.mail_senders,
            settings.mail_sender_daily_budget,
            max_rest_seconds=settings.mail_sender_max_rest_seconds,
            window=timedelta(seconds=settings.mail_sender_window_seconds),
        )

    def deliver(self, person_id: int, *, password: SecretStr | None = None) -> DeliveryResult:
        """Deliver the person's open credentials; ``password`` only if it was just set (the
        reconcile's first send)."""
        with self._sessions.begin() as session:
            target = self._target(session, person_id)
        if target is None:
            return DeliveryResult(False, "nothing pending")
        tried: set[str] = set()
        while True:
            reservation = self._reserve(target, tried)
            if password is None:
                password = generate_password()
                try:
                    self._directory.set_password(target.account, password, change_at_next_login=True)
                except NotFound:
                    # Deleted in Google since it was recorded: the reconcile restores (or
                    # recreates) it and sends this open delivery then; nothing is lost.
                    self._release(reservation)
                    self._reconcile_first(person_id)
                    return DeliveryResult(False, "account gone from Google: reconcile queued")
                except BaseException:
                    self._release(reservation)
                    raise
            try:
                message_id = self._mail.send(reservation.sender, self._message(target, reservation, password))
            except RateLimited as exc:
                self._pause(reservation, exc)
                tried.add(reservation.sender)
                continue
            except PermanentError as exc:
                reason, final = self._refused(target, reservation, exc)
                if final:
                    raise DeliveryRefusedError(reason) from exc
                raise RefusedOnceError(f"{reason} Trying once more with a fresh password.") from exc
            except WorkspaceError as exc:
                self._attempt_failed(target, f"Gmail send failed, will retry: {_masked(str(exc))}")
                raise
            self._record_sent(person_id, target, reservation, message_id)
            return DeliveryResult(True, "sent")

    # -- steps --------------------------------------------------------------------------------

    def _target(self, session: Session, person_id: int) -> _Target | None:
        delivery = session.scalars(
            select(CredentialDelivery)
            .where(CredentialDelivery.person_id == person_id, CredentialDelivery.status.in_(OPEN))
            .order_by(CredentialDelivery.id.desc())
        ).first()
        if delivery is None:
            return None
        assert delivery.recipient_email is not None  # noqa: S101 - open deliveries have one
        person = people.get_one(session, person_id)  # deliveries belong to a person
        if delivery.reason == DeliveryReason.REMINDER and _reminder_moot(person):
            # Waiting for a sender can take hours: a person who signed in meanwhile (a later
            # check saw it), or whose account is no longer active and managed, keeps the
            # password they have — a reminder now would only break it.
            delivery.status, delivery.next_attempt_at = DeliveryStatus.SUPERSEDED, None
            delivery.last_error = "Reminder dropped before sending: signed in, or no longer active."
            return None
        first_names = people.record_of(person).first_names
        return _Target(
            delivery.id,
            delivery.account_email,
            delivery.recipient_email,
            first_names,
            reminder=delivery.reason == DeliveryReason.REMINDER,
        )

    def _reserve(self, target: _Target, tried: set[str]) -> Reservation:
        """A slot from the pool, or mark the delivery waiting and raise :class:`SendersExhausted`."""
        now = self._clock()
        with self._sessions.begin() as session:

            def waiting_ahead() -> int:
                ahead = session.scalar(
                    select(func.count())
                    .select_from(CredentialDelivery)
                    .where(CredentialDelivery.status.in_(OPEN), CredentialDelivery.id < target.delivery_id)
                )
                return int(ahead or 0)

            outcome = self.pool.reserve(session, now, exclude=tried, waiting_ahead=waiting_ahead)
            if isinstance(outcome, NoCapacity):
                self._mark_waiting(session, target, outcome)
        if isinstance(outcome, Reservation):
            return outcome
        DELIVERIES.labels("waiting").inc()
        seconds = max((outcome.until - now).total_seconds(), MIN_WAIT_SECONDS)
        log.info(
            "credentials_waiting",
            delivery_id=target.delivery_id,
            retry_after=round(seconds, 1),
            detail=outcome.describe(),
        )
        raise SendersExhausted(seconds, outcome.describe())

    def _mark_waiting(self, session: Session, target: _Target, outcome: NoCapacity) -> None:
        row = session.get_one(CredentialDelivery, target.delivery_id)
        row.status, row.next_attempt_at = DeliveryStatus.WAITING, outcome.until
        row.last_error = (
            f"Waiting for sender capacity ({outcome.describe()}); "
            f"estimated {outcome.until:%Y-%m-%d %H:%M:%S} UTC."
        )

    def _message(self, target: _Target, reservation: Reservation, password: SecretStr) -> EmailMessage:
        return render_credential_email(
            CredentialEmail(
                recipient_email=target.recipient,
                recipient_name=target.first_names,
                username=target.account,
                temporary_password=password.get_secret_value(),
                sign_in_url=self._settings.sign_in_url,
                reminder=target.reminder,
            ),
            sender=reservation.sender,
            sender_name=self._settings.mail_sender_name,
            translations=translations(STAFF_LANGUAGE),  # what a SENA person reads is Spanish
        )

    def _pause(self, reservation: Reservation, exc: RateLimited) -> None:
        """Gmail did not take it: give the slot back and rest (or exhaust) that sender."""
        now = self._clock()
        with self._sessions.begin() as session:
            self.pool.release(session, reservation)
            if isinstance(exc, DailyLimitExceeded):
                until = self.pool.exhaust(session, reservation.sender, now, exc.retry_after)
            else:
                until = self.pool.rest(session, reservation.sender, now, exc.retry_after)
        log.info(
            "mail_sender_paused",
            sender=reservation.sender,
            daily_limit=isinstance(exc, DailyLimitExceeded),
            until=until.isoformat(),
            error=str(exc),
        )

    def _refused(self, target: _Target, reservation: Reservation, exc: PermanentError) -> tuple[str, bool]:
        """Record Gmail's refusal; return the reason IT staff read and whether it is final.

        The first refusal of a delivery is not: the refusal may be about that one message, so
        the job tries once more with a fresh password. A refusal after an earlier attempt is
        final: a refused *message* fails the delivery (a new request must follow a corrected
        address); a refused *sender* leaves it pending, so retrying the job once the sender is
        fixed sends it.
        """
        sender_refused = isinstance(exc, NotAuthorized)
        reason = refusal_reason(exc, reservation.sender, sender_refused=sender_refused)
        with self._sessions.begin() as session:
            self.pool.release(session, reservation)
            row = session.get_one(CredentialDelivery, target.delivery_id)
            final = row.attempts > 0
            row.attempts += 1
            row.last_error = reason
            row.next_attempt_at = None
            row.status = DeliveryStatus.FAILED if final and not sender_refused else DeliveryStatus.PENDING
        DELIVERIES.labels("refused").inc()
        log.warning(
            "credentials_refused",
            delivery_id=target.delivery_id,
            recipient=mask_email(target.recipient),
            final=final,
            error=_masked(str(exc)),
        )
        return reason, final

    def _attempt_failed(self, target: _Target, error: str) -> None:
        with self._sessions.begin() as session:
            row = session.get_one(CredentialDelivery, target.delivery_id)
            row.attempts += 1
            row.status, row.last_error, row.next_attempt_at = DeliveryStatus.PENDING, error, None
        DELIVERIES.labels("retry").inc()

    def _record_sent(
        self, person_id: int, target: _Target, reservation: Reservation, message_id: str
    ) -> None:
        now = self._clock()
        with self._sessions.begin() as session:
            self.pool.sent(session, reservation, now)
            row = session.get_one(CredentialDelivery, target.delivery_id)
            row.status, row.sender, row.gmail_message_id = DeliveryStatus.SENT, reservation.sender, message_id
            row.delivered_at, row.last_error, row.next_attempt_at = now, None, None
            row.attempts += 1
            # An older request still open was answered by this email (its password is gone).
            session.execute(
                update(CredentialDelivery)
                .where(
                    CredentialDelivery.person_id == person_id,
                    CredentialDelivery.id < target.delivery_id,
                    CredentialDelivery.status.in_(OPEN),
                )
                .values(status=DeliveryStatus.SUPERSEDED, next_attempt_at=None)
            )
            person = people.get(session, person_id)
            if person is not None and person.account_status in (
                AccountStatus.PENDING,
                AccountStatus.CREDENTIALS_PENDING,
            ):
                person.account_status, person.status_reason = AccountStatus.ACTIVE, None
        DELIVERIES.labels("sent").inc()
        log.info(
            "credentials_sent",
            account=mask_email(target.account),
            recipient=mask_email(target.recipient),
            sender=reservation.sender,
        )

    def _reconcile_first(self, person_id: int) -> None:
        with self._sessions.begin() as session:
            enqueue(session, JobKind.RECONCILE, person_id, now=self._clock())
        log.warning("credentials_account_missing", person_id=person_id)

    def _release(self, reservation: Reservation) -> None:
        with self._sessions.begin() as session:
            self.pool.release(session, reservation)


def _reminder_moot(person: Person) -> bool:
    return (
        person.first_signed_in_at is not None
        or person.excluded
        or person.staff_suspended
        or person.account_status != AccountStatus.ACTIVE
    )


def refusal_reason(exc: WorkspaceError, sender: str, *, sender_refused: bool) -> str:
    """What IT staff read on the delivery and the dead job: what happened and what to do.
    Google's words are kept (addresses masked); the person's address never appears."""
    said = _masked(str(exc))
    if sender_refused:
        return (
            f"Gmail refused to send as {sender} ({said}). Check that this sender mailbox exists "
            "and that the service account's domain-wide delegation grants it the gmail.send "
            "scope, then retry the job."
        )
    return (
        f"Gmail refused the credentials email for good ({said}). The personal email in Sofia "
        "Plus is probably invalid or not accepted: correct it there, then resend the credentials."
    )


def _masked(text: str) -> str:
    return _ADDRESS.sub(lambda found: mask_email(found.group(0)), text)
