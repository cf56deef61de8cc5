"""Credentials delivery: generate → set on the account → send → record delivered.

The one step that is not naturally idempotent, so it records its own completion. A retry
after any failure generates a fresh password and sets it again, so the password that works is
always the one in the last email the person received. Passwords live only in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import CredentialDelivery, Person
from app.logging_setup import get_logger
from app.passwords import generate_password
from app.queue import utcnow
from app.senders import exhaust_sender, reserve_sender
from app.settings import Settings
from sofia_sync.normalize import mask_email
from sofia_sync.person import PersonRecord
from workspace.credential_email import CredentialEmail, render_credential_email
from workspace.errors import RateLimited
from workspace.ports import Directory, MailSender

DELIVER = "deliver_credentials"
log = get_logger(__name__)


class SendersExhausted(Exception):  # noqa: N818 - it is a state, not a failure
    """Every sender has used its daily budget: deliveries wait for tomorrow, never dropped."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("all mail senders have used their daily budget")
        self.retry_after = retry_after


def seconds_until_tomorrow(now: datetime) -> float:
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=5, second=0, microsecond=0)
    return (tomorrow - now).total_seconds()


def request_delivery(
    session: Session, person: Person, account_email: str, reason: str, now: datetime
) -> CredentialDelivery:
    """Record that this person must receive credentials (in the caller's transaction)."""
    record = PersonRecord.model_validate(person.record)
    delivery = CredentialDelivery(
        person_id=person.id,
        account_email=account_email,
        recipient_email=record.personal_email,
        status="pending" if record.personal_email else "no_recipient",
        attempts=0,
        requested_at=now,
        reason=reason,
    )
    session.add(delivery)
    if not record.personal_email:
        person.account_status = "credentials_pending"
        person.status_reason = "No personal email in Sofia Plus to send the credentials to."
    return delivery


@dataclass(frozen=True)
class DeliveryResult:
    sent: bool
    detail: str


class Courier:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        directory: Directory,
        mail: MailSender,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._directory = directory
        self._mail = mail

    def deliver(self, person_id: int, *, password: SecretStr | None = None) -> DeliveryResult:
        """Deliver the person's pending credentials; ``password`` only if it was just set."""
        with self._sessions.begin() as session:
            delivery = self._pending(session, person_id)
            if delivery is None:
                return DeliveryResult(False, "nothing pending")
            delivery.attempts += 1
            now = utcnow()
            sender = reserve_sender(
                session,
                self._settings.mail_senders,
                self._settings.mail_sender_daily_budget,
                now.date(),
            )
            delivery_id, account, recipient = (
                delivery.id,
                delivery.account_email,
                delivery.recipient_email,
            )
            person = session.get(Person, person_id)
            assert person is not None  # noqa: S101 - deliveries belong to a person
            first_names = PersonRecord.model_validate(person.record).first_names
        if sender is None:
            raise SendersExhausted(seconds_until_tomorrow(utcnow()))
        assert recipient is not None  # noqa: S101 - pending deliveries have a recipient
        if password is None:
            password = generate_password()
            self._directory.set_password(account, password, change_at_next_login=True)
        message = render_credential_email(
            CredentialEmail(
                recipient_email=recipient,
                recipient_name=first_names,
                username=account,
                temporary_password=password.get_secret_value(),
                sign_in_url=self._settings.sign_in_url,
            ),
            sender=sender,
            sender_name=self._settings.mail_sender_name,
        )
        try:
            message_id = self._mail.send(sender, message)
        except RateLimited:
            with self._sessions.begin() as session:
                exhaust_sender(session, sender, self._settings.mail_sender_daily_budget, utcnow().date())
            raise
        with self._sessions.begin() as session:
            row = session.get(CredentialDelivery, delivery_id)
            assert row is not None  # noqa: S101
            row.status, row.sender, row.gmail_message_id = "sent", sender, message_id
            row.delivered_at = datetime.now(UTC)
            row.last_error = None
            person = session.get(Person, person_id)
            if person is not None and person.account_status in ("pending", "credentials_pending"):
                person.account_status, person.status_reason = "active", None
        log.info(
            "credentials_sent",
            account=mask_email(account),
            recipient=mask_email(recipient),
            sender=sender,
        )
        return DeliveryResult(True, "sent")

    @staticmethod
    def _pending(session: Session, person_id: int) -> CredentialDelivery | None:
        return session.scalars(
            select(CredentialDelivery)
            .where(CredentialDelivery.person_id == person_id, CredentialDelivery.status == "pending")
            .order_by(CredentialDelivery.id.desc())
        ).first()
