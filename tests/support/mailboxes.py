"""Helpers for the credentials suites: read senders' mailboxes as Gmail keeps them (with the time
Gmail took each message), pull the username and password out of an email, run real worker
threads, and count jobs and deliveries."""

from __future__ import annotations

import base64
import email
import email.policy
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

from sqlalchemy import select

from app.db.models import CredentialDelivery, Job
from app.runtime.worker import Worker
from tests.support.google import SCOPE, google_service
from tests.support.harness import Harness

PASSWORD = re.compile(r"\b[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}\b")
ACCOUNT = re.compile(r"\b\d+@misena\.edu\.co\b")


@dataclass(frozen=True)
class SentMail:
    sender: str
    #: When Gmail (the emulator) took the message: its ``internalDate``.
    at: datetime
    message: EmailMessage

    @property
    def recipient(self) -> str:
        return str(self.message["To"].addresses[0].addr_spec)

    def credentials(self) -> tuple[str, str]:
        """The (username, temporary password) the email gives."""
        text = self.message.get_body(preferencelist=("plain",))
        assert isinstance(text, EmailMessage)
        content = text.get_content()
        account, password = ACCOUNT.search(content), PASSWORD.search(content)
        assert account is not None, "no username in the email"
        assert password is not None, "no password in the email"
        return account.group(0), password.group(0)


def seed_sender(harness: Harness, address: str) -> None:
    harness.emulator.seed(
        users=[
            {
                "primaryEmail": address,
                "name": {"givenName": "Notificaciones", "familyName": "Mi SENA"},
                "password": "Sender-Password-2026",
            }
        ]
    )


def sent_mail(harness: Harness, *senders: str) -> list[SentMail]:
    """Every message in the senders' mailboxes, read back with the real Gmail client."""
    found: list[SentMail] = []
    for sender in senders or harness.services.settings.mail_senders:
        gmail = google_service(
            harness.emulator_server,
            harness.key_info,
            "gmail",
            "v1",
            subject=sender,
            scopes=[SCOPE + "gmail.readonly"],
        )
        listed = gmail.users().messages().list(userId="me", maxResults=500).execute()
        for ref in listed.get("messages", []):
            got = gmail.users().messages().get(userId="me", id=ref["id"], format="raw").execute()
            parsed = email.message_from_bytes(
                base64.urlsafe_b64decode(got["raw"] + "=="), policy=email.policy.default
            )
            assert isinstance(parsed, EmailMessage)
            at = datetime.fromtimestamp(int(got["internalDate"]) / 1000, UTC)
            found.append(SentMail(sender, at, parsed))
    return sorted(found, key=lambda mail: mail.at)


def assert_passwords_sign_in(harness: Harness, mails: list[SentMail]) -> None:
    """The newest email to each account holds the password that signs in."""
    newest: dict[str, str] = {}
    for mail in mails:
        account, password = mail.credentials()
        newest[account] = password
    refused = [a for a, p in newest.items() if not harness.emulator.password_valid(a, p)]
    assert refused == [], f"{len(refused)} emailed passwords do not sign in"


@contextmanager
def worker_threads(harness: Harness, count: int = 2) -> Iterator[None]:
    """``count`` real workers polling the queue in threads, as ``misena worker`` runs them."""
    stop = threading.Event()
    threads = [
        threading.Thread(target=Worker(harness.services, f"burst-{n}").run, args=(stop,), daemon=True)
        for n in range(count)
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)


def jobs(harness: Harness, kind: str = "deliver_credentials") -> list[Job]:
    with harness.services.sessions() as session:
        rows = list(session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))
        session.expunge_all()
        return rows


def deliveries(harness: Harness) -> list[CredentialDelivery]:
    with harness.services.sessions() as session:
        rows = list(session.scalars(select(CredentialDelivery).order_by(CredentialDelivery.id)))
        session.expunge_all()
        return rows


def emailed_password(message: EmailMessage) -> str:
    text = message.get_body(preferencelist=("plain",))
    assert isinstance(text, EmailMessage)
    found = re.search(r"\b[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}\b", text.get_content())
    assert found is not None, "no temporary password in the email"
    return found.group(0)
