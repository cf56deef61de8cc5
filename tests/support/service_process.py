"""What the fault suites share: people to enrol, the service as a process, Google read back."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import CredentialDelivery, Person
from tests.support.google import ADMIN, SCOPE, google_service
from tests.support.harness import SECRET, SENDER, enrollment
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import EmulatorServer, free_port

DOMAIN = "misena.edu.co"
#: The temporary password as the credentials email prints it (see the email template).
PASSWORD_LINE = re.compile(r"Contraseña temporal:\s*(\S+)")


def document(n: int) -> str:
    return str(1_030_000_000 + n)


def enrolment_of(n: int) -> dict[str, Any]:
    """A distinct apprentice per ``n``, with their own personal email."""
    return enrollment(document(n), document_type="CC", email_address=f"aprendiz{n}@example.com")


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def managed_accounts(server: EmulatorServer, key: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every account in the tenant but the admin and the sender, by address."""
    admin = google_service(server, key, "admin", "directory_v1")
    users: dict[str, dict[str, Any]] = {}
    token: str | None = None
    while True:
        page = admin.users().list(customer="my_customer", maxResults=500, pageToken=token).execute()
        for user in page.get("users", []):
            if user["primaryEmail"] not in (ADMIN, SENDER):
                users[user["primaryEmail"]] = user
        token = page.get("nextPageToken")
        if not token:
            return users


def sent_passwords(server: EmulatorServer, key: dict[str, Any]) -> dict[str, list[str]]:
    """Recipient → the temporary passwords emailed to them, oldest first."""
    gmail = google_service(server, key, "gmail", "v1", subject=SENDER, scopes=[SCOPE + "gmail.readonly"])
    found: dict[str, list[str]] = {}
    token: str | None = None
    refs: list[str] = []
    while True:
        page = gmail.users().messages().list(userId="me", maxResults=500, pageToken=token).execute()
        refs += [ref["id"] for ref in page.get("messages", [])]
        token = page.get("nextPageToken")
        if not token:
            break
    for ref in reversed(refs):  # Gmail lists newest first
        raw = gmail.users().messages().get(userId="me", id=ref, format="raw").execute()["raw"]
        message = email.message_from_bytes(base64.urlsafe_b64decode(raw + "=="), policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        assert text is not None
        match = PASSWORD_LINE.search(text.get_content())
        assert match is not None, "a credentials email without a password line"
        found.setdefault(parseaddr(str(message["To"]))[1], []).append(match.group(1))
    return found


@dataclass(frozen=True)
class CredentialCheck:
    people: int
    working: int  # the last password emailed signs in
    second_emails: int  # people who received more than one credentials email


def check_credentials(
    emulator: EmulatorControl,
    server: EmulatorServer,
    key: dict[str, Any],
    people: Iterable[int],
) -> CredentialCheck:
    mail = sent_passwords(server, key)
    wanted = list(people)
    working = second = 0
    for n in wanted:
        passwords = mail.get(f"aprendiz{n}@example.com", [])
        if passwords and emulator.password_valid(f"{document(n)}@{DOMAIN}", passwords[-1]):
            working += 1
        second += len(passwords) > 1
    return CredentialCheck(len(wanted), working, second)


def delivered_people(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return len(
            set(
                session.scalars(
                    select(CredentialDelivery.person_id).where(CredentialDelivery.status == "sent")
                )
            )
        )


def people_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return len(list(session.scalars(select(Person.id))))


def service_env(database_url: str, key_file: Path, emulator_url: str, **extra: str) -> dict[str, str]:
    """The environment a real ``misena serve``/``worker`` process needs for these tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISENA_") and k != "PYTEST_CURRENT_TEST"}
    env |= {
        "MISENA_DATABASE_URL": database_url,
        "MISENA_WEBHOOK_SECRETS": SECRET,
        "MISENA_GOOGLE_KEY_FILE": str(key_file),
        "MISENA_GOOGLE_API_ENDPOINT": emulator_url,
        "MISENA_GOOGLE_ADMIN": ADMIN,
        "MISENA_MAIL_SENDERS": SENDER,
        "MISENA_GMAIL_SENDS_PER_MINUTE": "570",
        "MISENA_WORKER_POLL_SECONDS": "0.1",
        # serve's worker child would take the default 8001 in every test at once: none, unless asked.
        "MISENA_WORKER_HEALTH_PORT": "0",
        **extra,
    }
    return env


def start_misena(
    args: list[str], env: dict[str, str], log: Path, *, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """``python -m app <args>`` as its own process (in ``cwd``), stdout and stderr to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "app", *args], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd
        )


@contextmanager
def serving(
    database_url: str, key_file: Path, emulator_url: str, log: Path, *args: str, **extra_env: str
) -> Iterator[str]:
    """``misena serve --no-worker`` on a free loopback port, migrating at start; yields its base
    URL (ending in ``/``) once ``/readyz`` answers 200, and stops it afterwards."""
    port = free_port()
    env = service_env(
        database_url, key_file, emulator_url, MISENA_PORT=str(port), MISENA_SCHEMA_ON_START="migrate",
        **extra_env,
    )  # fmt: skip
    process = start_misena(["serve", "--host", "127.0.0.1", "--no-worker", *args], env, log)
    base = f"http://127.0.0.1:{port}/"
    try:
        ready = wait_until(lambda: process.poll() is not None or get_json(base + "readyz")[0] == 200, 60)
        assert process.poll() is None, log.read_text("utf-8")
        assert ready, log.read_text("utf-8")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def get_json(url: str) -> tuple[int, dict[str, Any]]:
    try:
        response = httpx.get(url, timeout=5)
    except httpx.TransportError:
        return 0, {}
    return response.status_code, response.json()


def json_lines(log: Path) -> list[dict[str, Any]]:
    """The log as JSON objects; a line that is not JSON fails the test (the log must parse)."""
    lines = [line for line in log.read_text("utf-8").splitlines() if line.strip()]
    return [json.loads(line) for line in lines]
