"""Credentials email end to end: rendered, sent by the Gmail adapter, read back with the real
Gmail client, and the password in it really signs in."""

from __future__ import annotations

import base64
import email
import email.policy
import re
from email.message import EmailMessage
from typing import Any

import pytest
from pydantic import SecretStr

from tests.support.fast_retry import FAST_RETRY, SleepRecorder
from tests.support.google import PASSWORD, SCOPE, SENDER, credentials_message, google_service, new_user
from workspace.directory import GoogleDirectory
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import EmulatorServer
from workspace.errors import RateLimited
from workspace.gmail import GmailSender
from workspace.google_session import GoogleConnection, ServiceFactory


@pytest.fixture
def mail_tenant(emulator: EmulatorControl) -> EmulatorControl:
    emulator.seed(
        org_units=["/Aprendices/Distrito Capital"],
        users=[
            {
                "primaryEmail": SENDER,
                "name": {"givenName": "Notificaciones", "familyName": "Mi SENA"},
                "password": "Sender-Password-2026",
            }
        ],
    )
    return emulator


@pytest.fixture
def sender(connection: GoogleConnection, sleeps: SleepRecorder) -> GmailSender:
    return GmailSender(ServiceFactory(connection), retry=FAST_RETRY, sleep=sleeps)


def read_back(server: EmulatorServer, key: dict[str, Any], message_id: str) -> EmailMessage:
    gmail = google_service(server, key, "gmail", "v1", subject=SENDER, scopes=[SCOPE + "gmail.readonly"])
    listed = gmail.users().messages().list(userId="me").execute()
    assert [m["id"] for m in listed["messages"]] == [message_id]
    raw = gmail.users().messages().get(userId="me", id=message_id, format="raw").execute()["raw"]
    parsed = email.message_from_bytes(base64.urlsafe_b64decode(raw + "=="), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_the_emailed_password_signs_in(
    mail_tenant: EmulatorControl,
    directory: GoogleDirectory,
    sender: GmailSender,
    emulator_server: EmulatorServer,
    key_info: dict[str, Any],
) -> None:
    directory.create_user(new_user(password=SecretStr(PASSWORD), custom_schemas={}))

    message_id = sender.send(SENDER, credentials_message())

    received = read_back(emulator_server, key_info, message_id)
    assert received["To"].addresses[0].display_name == "María José"
    assert "está" in str(received["Subject"])
    text = received.get_body(preferencelist=("plain",))
    assert text is not None
    body = text.get_content()
    assert "1098765432@misena.edu.co" in body
    emailed = re.search(r"Kp7-\S+", body)
    assert emailed is not None
    assert mail_tenant.password_valid("1098765432@misena.edu.co", emailed.group(0))


def test_sender_daily_limit_is_a_rate_limit_with_retry_after(
    mail_tenant: EmulatorControl, connection: GoogleConnection, sleeps: SleepRecorder
) -> None:
    """Gmail's per-sender daily cap answers 'retry in hours': surfaced, not slept through."""
    mail_tenant.configure(gmail_messages_per_day=2)
    mail_tenant.freeze_clock()
    sender = GmailSender(ServiceFactory(connection), sleep=sleeps)
    sender.send(SENDER, credentials_message())
    sender.send(SENDER, credentials_message())
    with pytest.raises(RateLimited) as caught:
        sender.send(SENDER, credentials_message())
    assert caught.value.retry_after is not None
    assert caught.value.retry_after > 3600
    assert sleeps.waits == []
    mail_tenant.advance_clock(86_400)
    assert sender.send(SENDER, credentials_message())


def test_a_5xx_on_send_is_retried(
    mail_tenant: EmulatorControl, sender: GmailSender, sleeps: SleepRecorder
) -> None:
    mail_tenant.set_faults(
        [
            {
                "method": "gmail.users.messages.send",
                "status": 503,
                "reason": "backendError",
                "times": 2,
            }
        ]
    )
    assert sender.send(SENDER, credentials_message())
    assert mail_tenant.calls("gmail.users.messages.send", 503) == 2
    assert len(sleeps.waits) == 2
