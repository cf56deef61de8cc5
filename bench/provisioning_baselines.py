"""The two scripts misena is measured against: what an admin without misena would run.

Both use the unmodified google-api-python-client against the emulator and do, per person, what
a new account needs: ``users.insert`` (temporary password, org unit), ``members.insert`` into
the ficha's group, and the credentials email (``messages.send``).

* **naive**: one person after another, one call after another, no retries.
* **GAM-like**: 5 threads, no shared pacing; each call retried on 403/429/5xx with GAM's
  exponential backoff (2^n s capped at 60, plus up to 1 s of jitter, at most 10 tries), and a
  person whose call still fails is given up (as a GAM batch reports and moves on).
"""

from __future__ import annotations

import base64
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from bench.stack import ADMIN

SCOPE = "https://www.googleapis.com/auth/"
DIRECTORY_SCOPES = [SCOPE + "admin.directory.user", SCOPE + "admin.directory.group"]
RETRIED = {403, 429, 500, 502, 503}


@dataclass(frozen=True)
class Account:
    """One person to provision: their address, name, org unit, group and personal email."""

    address: str
    given: str
    family: str
    org_unit: str
    group: str
    personal_email: str


@dataclass
class Outcome:
    """What a script did: ``given_up`` people it gave up on, and when its last email went."""

    given_up: list[str] = field(default_factory=list)
    retries: int = 0
    finished_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _service(key_file: Path, endpoint: str, api: str, version: str, subject: str, scopes: list[str]) -> Any:
    credentials = service_account.Credentials.from_service_account_file(str(key_file), scopes=scopes)
    return build(
        api,
        version,
        credentials=credentials.with_subject(subject),
        client_options={"api_endpoint": endpoint},
        static_discovery=True,
        cache_discovery=False,
    )


@dataclass
class Clients:
    """One thread's clients (httplib2 connections are not thread-safe)."""

    directory: Any
    gmail: Any
    sender: str

    @classmethod
    def build(cls, key_file: Path, endpoint: str, sender: str) -> Clients:
        return cls(
            directory=_service(key_file, endpoint, "admin", "directory_v1", ADMIN, DIRECTORY_SCOPES),
            gmail=_service(key_file, endpoint, "gmail", "v1", sender, [SCOPE + "gmail.send"]),
            sender=sender,
        )


def credentials_email(account: Account, sender: str, password: str) -> dict[str, str]:
    message = EmailMessage()
    message["From"] = f"Mi SENA <{sender}>"
    message["To"] = account.personal_email
    message["Subject"] = "Tu cuenta Mi SENA"
    message.set_content(f"Usuario: {account.address}\nContraseña temporal: {password}\n")
    return {"raw": base64.urlsafe_b64encode(message.as_bytes()).decode()}


def provision_calls(clients: Clients, account: Account) -> list[Any]:
    """The three requests for one person, in order, ready to ``execute``."""
    password = secrets.token_urlsafe(12)
    user = {
        "primaryEmail": account.address,
        "name": {"givenName": account.given, "familyName": account.family},
        "password": password,
        "changePasswordAtNextLogin": True,
        "orgUnitPath": account.org_unit,
    }
    return [
        clients.directory.users().insert(body=user),
        clients.directory.members().insert(groupKey=account.group, body={"email": account.address}),
        clients.gmail.users()
        .messages()
        .send(userId="me", body=credentials_email(account, clients.sender, password)),
    ]


def run_naive(accounts: list[Account], key_file: Path, endpoint: str, sender: str) -> Outcome:
    outcome = Outcome()
    clients = Clients.build(key_file, endpoint, sender)
    for account in accounts:
        try:
            for request in provision_calls(clients, account):
                request.execute()
        except HttpError:
            outcome.given_up.append(account.address)
            continue
        outcome.finished_at = time.monotonic()
    return outcome


def _with_backoff(request: Any, rng: random.Random, outcome: Outcome, tries: int = 10) -> None:
    for attempt in range(1, tries + 1):
        try:
            request.execute()
            return
        except HttpError as error:
            if error.resp.status not in RETRIED or attempt == tries:
                raise
            with outcome.lock:
                outcome.retries += 1
            time.sleep(min(2**attempt, 60) + rng.random())


def run_gam_like(
    accounts: list[Account], key_file: Path, endpoint: str, sender: str, *, threads: int = 5
) -> Outcome:
    outcome = Outcome()
    pending = iter(accounts)

    def work(seed: int) -> None:
        clients = Clients.build(key_file, endpoint, sender)
        rng = random.Random(seed)
        while True:
            with outcome.lock:
                account = next(pending, None)
            if account is None:
                return
            try:
                for request in provision_calls(clients, account):
                    _with_backoff(request, rng, outcome)
            except HttpError:
                with outcome.lock:
                    outcome.given_up.append(account.address)
                continue
            with outcome.lock:
                outcome.finished_at = max(outcome.finished_at, time.monotonic())

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return outcome
