"""``misena demo show``: what the demo created, read back from the emulator with the real
Google clients — the account, and the credentials email as the person received it."""

from __future__ import annotations

import base64
import email
import email.policy
import os
from email.message import EmailMessage
from typing import Any

from google.oauth2 import service_account
from googleapiclient.discovery import build
from rich.console import Console

from app.demo.environment import KEY_FILE
from app.settings import Settings

SCOPE = "https://www.googleapis.com/auth/"


def _client(api: str, version: str, subject: str, scope: str, endpoint: str) -> Any:
    credentials = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
        str(KEY_FILE), scopes=[SCOPE + scope]
    ).with_subject(subject)
    return build(
        api,
        version,
        credentials=credentials,
        client_options={"api_endpoint": endpoint},
        static_discovery=True,
    )


def show_account(document: str, console: Console) -> None:
    settings = Settings(demo_mode=True)
    endpoint = f"http://127.0.0.1:{os.environ.get('MISENA_EMULATOR_PORT', settings.emulator_port)}/"
    address = f"{document.lower()}@{settings.policy.domain}"
    admin = _client("admin", "directory_v1", settings.google_admin, "admin.directory.user", endpoint)
    user = admin.users().get(userKey=address, projection="full").execute()
    console.print(f"[bold]Cuenta[/bold] {user['primaryEmail']}  ({user['name']['fullName']})")
    console.print(f"  unidad organizativa: {user['orgUnitPath']}")
    console.print(f"  cambiar contraseña al ingresar: {user['changePasswordAtNextLogin']}")
    console.print(
        f"  correo de recuperación: {user.get('recoveryEmail')}  celular: {user.get('recoveryPhone')}"
    )
    for sender in settings.mail_senders:
        gmail = _client("gmail", "v1", sender, "gmail.readonly", endpoint)
        listed = gmail.users().messages().list(userId="me").execute()
        for ref in listed.get("messages", []):
            raw = gmail.users().messages().get(userId="me", id=ref["id"], format="raw").execute()
            message = email.message_from_bytes(
                base64.urlsafe_b64decode(raw["raw"] + "=="), policy=email.policy.default
            )
            if not isinstance(message, EmailMessage) or address not in message.as_string():
                continue
            body = message.get_body(preferencelist=("plain",))
            console.print(
                f"\n[bold]Correo enviado[/bold] de {sender} a {message['To']}: {message['Subject']}\n"
            )
            if isinstance(body, EmailMessage):
                console.print(body.get_content())
