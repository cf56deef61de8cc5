"""The whole service over real HTTP: signed webhooks in, the emulator as Google, a real
database (SQLite and PostgreSQL), and the worker driven step by step so tests are exact."""

from __future__ import annotations

import base64
import email
import email.policy
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from googleapiclient.errors import HttpError
from pydantic import SecretStr
from sqlalchemy import select

from app.accounts.sweep import sweep_due
from app.clock import FrozenClock
from app.db.models import CredentialDelivery, Person
from app.demo.environment import send_signed
from app.http.main import create_app
from app.runtime.services import Services, build_services
from app.runtime.worker import Worker
from app.settings import Settings
from sofia_sync.contract import EVENT_EXAMPLES
from sofia_sync.policy import SOFIA_SCHEMA_DEFINITION
from tests.support.databases import migrate
from tests.support.google import ADMIN, SCOPE, google_service
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import BackgroundServer, EmulatorServer

SECRET = "whsec_" + base64.b64encode(b"misena-test-secret-number-one-32").decode()
ROTATED_SECRET = "whsec_" + base64.b64encode(b"misena-test-secret-number-two-32").decode()
SENDER = "notificaciones@misena.edu.co"


def enrollment(
    document: str = "1.098.765.432",
    *,
    document_type: str = "TI",
    email_address: str | None = "majo.pena@example.com",
    occurred_at: str = "2026-01-20T08:15:00-05:00",
    **person: Any,
) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(json.dumps(EVENT_EXAMPLES["enrollment.created"]))
    event["occurred_at"] = occurred_at
    event["data"]["person"].update(
        {
            "document_type": document_type,
            "document_number": document,
            "personal_email": email_address,
            **person,
        }
    )
    return event


@dataclass
class Harness:
    services: Services
    base_url: str
    emulator: EmulatorControl
    emulator_server: EmulatorServer
    key_info: dict[str, Any]
    clock: FrozenClock = field(default_factory=FrozenClock)

    def sweep(self) -> int:
        """What the worker's sweeper does every interval: queue the people whose time came."""
        return sweep_due(self.services.sessions, self.clock())

    def deliver(self, *events: dict[str, Any]) -> None:
        """Post each event (each must be accepted) and run the worker to idle after each."""
        for event in events:
            response = self.post(event)
            assert response.status_code == 202, response.text
            self.drain()

    def google_calls(self) -> Counter[str]:
        """The Google calls the emulator counted since its counters were cleared, by method."""
        calls: dict[str, dict[str, int]] = self.emulator.counters()["calls"]
        return Counter({method: sum(by_status.values()) for method, by_status in calls.items()})

    def get_user(self, key: str) -> dict[str, Any] | None:
        """``users.get`` by address, alias or id, as Google answers it (``None`` on 404)."""
        admin = google_service(self.emulator_server, self.key_info, "admin", "directory_v1")
        try:
            user: dict[str, Any] = admin.users().get(userKey=key, projection="full").execute()
        except HttpError as exc:
            if exc.resp.status == 404:
                return None
            raise
        return user

    def members(self, group: str) -> dict[str, str]:
        """Member address → role of a group; empty when the group does not exist."""
        admin = google_service(self.emulator_server, self.key_info, "admin", "directory_v1")
        try:
            listed = admin.members().list(groupKey=group).execute()
        except HttpError as exc:
            if exc.resp.status == 404:
                return {}
            raise
        return {m["email"]: m["role"] for m in listed.get("members", [])}

    @property
    def webhook_url(self) -> str:
        return self.base_url + "webhooks/sofia-plus"

    def post(
        self, event: dict[str, Any], *, webhook_id: str | None = None, secret: str = SECRET
    ) -> httpx.Response:
        return send_signed(self.webhook_url, secret, event, webhook_id)

    def drain(self, limit: int = 1000) -> int:
        """Run the worker until the queue has nothing runnable; returns jobs run."""
        worker = Worker(self.services, "test-worker")
        ran = 0
        while ran < limit and worker.run_once():
            ran += 1
        return ran

    def person(self, key: str) -> Person:
        with self.services.sessions() as session:
            person = session.scalars(select(Person).where(Person.person_key == key)).one()
            session.expunge(person)
            return person

    def deliveries(self, key: str) -> list[CredentialDelivery]:
        with self.services.sessions() as session:
            person = session.scalars(select(Person).where(Person.person_key == key)).one()
            rows = list(
                session.scalars(select(CredentialDelivery).where(CredentialDelivery.person_id == person.id))
            )
            for row in rows:
                session.expunge(row)
            return rows

    def google_user(self, address: str) -> dict[str, Any] | None:
        admin = google_service(self.emulator_server, self.key_info, "admin", "directory_v1")
        found = (
            admin.users().list(customer="my_customer", query=f"email={address}", projection="full").execute()
        )
        users: list[dict[str, Any]] = found.get("users", [])
        return users[0] if users else None

    def mail_to(self, recipient: str) -> list[EmailMessage]:
        gmail = google_service(
            self.emulator_server,
            self.key_info,
            "gmail",
            "v1",
            subject=SENDER,
            scopes=[SCOPE + "gmail.readonly"],
        )
        listed = gmail.users().messages().list(userId="me", q=f"to:{recipient}").execute()
        messages = []
        for ref in listed.get("messages", []):
            raw = gmail.users().messages().get(userId="me", id=ref["id"], format="raw").execute()["raw"]
            parsed = email.message_from_bytes(
                base64.urlsafe_b64decode(raw + "=="), policy=email.policy.default
            )
            assert isinstance(parsed, EmailMessage)
            messages.append(parsed)
        return messages


def service_settings(database_url: str, key_file: Path, endpoint: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "webhook_secrets": (SecretStr(SECRET), SecretStr(ROTATED_SECRET)),
        "google_key_file": key_file,
        "google_api_endpoint": endpoint,
        "google_admin": ADMIN,
        "mail_senders": (SENDER,),
        # the test emulator's Gmail rate (tests/conftest.py TEST_LIMITS), a little under
        "gmail_sends_per_minute": 570.0,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def tenant(emulator: EmulatorControl) -> EmulatorControl:
    emulator.seed(
        schemas=[SOFIA_SCHEMA_DEFINITION],
        users=[{"primaryEmail": SENDER, "name": {"givenName": "Notificaciones", "familyName": "Mi SENA"},
                "password": "Sender-Password-2026"}],
    )  # fmt: skip
    return emulator


HarnessFactory = Callable[..., Harness]


@pytest.fixture
def make_harness(
    tenant: EmulatorControl,
    database_url: str,
    emulator_server: EmulatorServer,
    key_info: dict[str, Any],
    tmp_path: Path,
) -> Iterator[HarnessFactory]:
    """The service with settings ``overrides`` (e.g. a small brake limit), one per test."""
    key_file = tmp_path / "service-account.json"
    key_file.write_text(json.dumps(key_info), encoding="utf-8")
    started: list[tuple[BackgroundServer, Any]] = []

    def make(*, clock: Any = None, **overrides: Any) -> Harness:
        """``clock``: a frozen one unless the test needs real time to pass (a lease expiring)."""
        settings = service_settings(database_url, key_file, emulator_server.base_url, **overrides)
        engine = migrate(database_url)
        clock = clock if clock is not None else FrozenClock()
        services = build_services(settings, engine=engine, clock=clock)
        server = BackgroundServer(create_app(services), name="misena")
        server.start()
        started.append((server, engine))
        return Harness(services, server.base_url, tenant, emulator_server, key_info, clock)

    yield make
    for server, engine in started:
        server.stop()
        engine.dispose()


@pytest.fixture
def harness(make_harness: HarnessFactory) -> Harness:
    return make_harness()
