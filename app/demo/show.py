"""``misena demo show``'s second half: the credentials email as the person received it, read
back from the demo's Google emulator with the real Gmail client (the account itself comes from
the API, read live from Google: ``GET /v1/people/{id}?live=true``)."""

from __future__ import annotations

import base64
import email
import email.policy
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from google.oauth2 import service_account
from googleapiclient.discovery import build

from app.demo.environment import KEY_FILE
from app.settings import Settings

SCOPE = "https://www.googleapis.com/auth/"


@dataclass(frozen=True)
class SentMail:
    sender: str
    to: str
    subject: str
    text: str


def _gmail(subject: str, endpoint: str) -> Any:
    credentials = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
        str(KEY_FILE), scopes=[SCOPE + "gmail.readonly"]
    ).with_subject(subject)
    return build(
        "gmail",
        "v1",
        credentials=credentials,
        client_options={"api_endpoint": endpoint},
        static_discovery=True,
    )


def credential_emails(address: str, endpoint: str) -> list[SentMail]:
    """Every email the demo's senders sent about ``address``, oldest first."""
    found: list[SentMail] = []
    for sender in Settings(demo_mode=True).mail_senders:
        gmail = _gmail(sender, endpoint)
        listed = gmail.users().messages().list(userId="me").execute()
        for ref in reversed(listed.get("messages", [])):
            raw = gmail.users().messages().get(userId="me", id=ref["id"], format="raw").execute()
            message = email.message_from_bytes(
                base64.urlsafe_b64decode(raw["raw"] + "=="), policy=email.policy.default
            )
            if not isinstance(message, EmailMessage) or address not in message.as_string():
                continue
            body = message.get_body(preferencelist=("plain",))
            text = body.get_content() if isinstance(body, EmailMessage) else ""
            found.append(SentMail(sender, str(message["To"]), str(message["Subject"]), text))
    return found
