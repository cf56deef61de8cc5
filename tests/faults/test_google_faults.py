"""About a fifth of Google's answers are errors (503 backendError, 429 with Retry-After,
403 userRateLimitExceeded), every call is slow, and 200 people arrive through every kind of
event. The service must converge on exactly the accounts, groups and deliveries a good day
gives: level-triggered reconciles and classified retries are what make the bad day end the same.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.db.engine import make_engine
from app.db.migrate import upgrade
from app.db.models import CredentialDelivery
from app.demo.environment import send_signed
from app.http.main import create_app
from app.runtime.services import Services, build_services
from app.runtime.worker import WorkerPool
from tests.support.events import enrolled, person, person_updated, roles_changed, status_changed
from tests.support.harness import SECRET, service_settings
from tests.support.service_process import managed_accounts, sent_passwords, wait_until
from workspace.directory import GoogleDirectory
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import BackgroundServer, EmulatorServer
from workspace.gmail import GmailSender
from workspace.google_session import GoogleConnection, ServiceFactory
from workspace.pacing import LocalQuota
from workspace.retry import RetryPolicy

PEOPLE = 200
FICHAS = ("2758001", "2758002", "2758003")
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
FAULTS = [
    {"method": "*", "path": path, "status": 503, "reason": "backendError", "rate": 0.08}
    for path in ("/admin/*", "/gmail/*")
] + [
    {"method": "*", "path": "/admin/*", "status": 403, "reason": "userRateLimitExceeded",
     "message": "Rate Limit Exceeded", "rate": 0.05},
    {"method": "*", "path": "*", "status": 429, "reason": "rateLimitExceeded",
     "message": "Rate Limit Exceeded", "rate": 0.07, "retry_after": 1},
]  # fmt: skip


@dataclass(frozen=True)
class Expected:
    address: str
    org_unit: str
    given_name: str
    groups: dict[str, str]  # ficha group → role
    recipient: str


def number(n: int) -> str:
    return str(1_040_000_000 + n)


def scenario(n: int) -> tuple[list[dict[str, Any]], Expected]:
    """The events of person ``n`` (one of six stories) and the account they must end with."""
    ficha = FICHAS[n % 3]
    group = f"ficha-{ficha}@misena.edu.co"
    mail = f"aprendiz{n}@example.com"
    who = person(number(n), "CC", personal_email=mail)
    story = n % 6
    expected = Expected(
        f"{number(n)}@misena.edu.co",
        "/Aprendices/Distrito Capital",
        "María José",  # misena writes names as people do, not in Sofia's capitals
        {group: "MEMBER"},
        mail,
    )
    if story == 0:
        return [enrolled(T0, ficha=ficha, who=who)], expected
    if story == 1:
        events = [
            enrolled(T0, ficha=ficha, who=who),
            status_changed(T0 + timedelta(days=1), "CERTIFICADO", ficha=ficha, who=who),
        ]
        return events, Expected(
            expected.address, "/Egresados/Distrito Capital", expected.given_name, {}, mail
        )
    if story == 2:
        events = [
            enrolled(T0, ficha=ficha, who=who),
            status_changed(T0 + timedelta(days=1), "CANCELADO", ficha=ficha, who=who),
        ]
        return events, Expected(expected.address, expected.org_unit, expected.given_name, {}, mail)
    if story == 3:
        events = [roles_changed(T0, ["INSTRUCTOR"], who=who, fichas=[ficha])]
        return events, Expected(
            expected.address, "/Instructores/Sin Regional", expected.given_name, {group: "MANAGER"}, mail
        )
    if story == 4:
        renamed = {**who, "first_names": "NOMBRE CORREGIDO"}
        events = [enrolled(T0, ficha=ficha, who=who), person_updated(T0 + timedelta(days=2), who=renamed)]
        return events, Expected(
            expected.address, expected.org_unit, "Nombre Corregido", expected.groups, mail
        )
    minor = person(number(n + 500), "TI", personal_email=mail)  # TI → CC: the one account is renamed
    events = [
        enrolled(T0, ficha=ficha, who=minor),
        person_updated(T0 + timedelta(days=3), who=who, previous=("TI", number(n + 500))),
    ]
    return events, expected  # fmt: skip


def fast_retries(settings: Any) -> tuple[GoogleDirectory, GmailSender]:
    """The real adapters with Google's algorithm at a tenth of its pace (the test's clock), and no
    quota: the injected rate answers are random, not a rate to converge to (the adaptive quota would
    rightly slow everyone to its floor), and convergence, not pacing, is what this suite checks."""
    factory = ServiceFactory(
        GoogleConnection(key_file=settings.google_key_file, api_endpoint=settings.google_api_endpoint)
    )
    policy = RetryPolicy(max_attempts=7, initial_backoff=0.05, max_backoff=1.0, jitter=0.05)
    mail_policy = RetryPolicy(max_attempts=5, initial_backoff=0.05, max_backoff=1.0, max_retry_after=120.0)
    quota = LocalQuota.unlimited()
    return GoogleDirectory(factory, settings.google_admin, retry=policy, quota=quota), GmailSender(
        factory, retry=mail_policy, quota=quota
    )


@pytest.fixture
def service(
    tenant: EmulatorControl, emulator_server: EmulatorServer, key_info: dict[str, Any], tmp_path: Path
) -> Iterator[tuple[Services, str]]:
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(key_info), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'misena.db'}"
    engine = make_engine(url)
    upgrade(engine)
    settings = service_settings(
        url, key_file, emulator_server.base_url, worker_threads=8, worker_poll_seconds=0.5
    )
    directory, mail = fast_retries(settings)
    services = build_services(settings, engine=engine, directory=directory, mail=mail)
    server = BackgroundServer(create_app(services), name="misena-faults")
    server.start()
    yield services, server.base_url
    server.stop()
    engine.dispose()


def post(client: httpx.Client, base: str, event: dict[str, Any], webhook_id: str) -> httpx.Response:
    return send_signed(base + "webhooks/sofia-plus", SECRET, event, webhook_id, client=client)


def settled(services: Services) -> bool:
    counts = services.queue.counts()
    return counts["pending"] == 0 and counts["running"] == 0


def test_three_hundred_people_converge_through_a_fifth_of_google_failing(
    service: tuple[Services, str],
    tenant: EmulatorControl,
    emulator_server: EmulatorServer,
    key_info: dict[str, Any],
) -> None:
    services, base = service
    stories = [scenario(n) for n in range(PEOPLE)]
    tenant.configure(latency_ms=15)
    tenant.set_faults(FAULTS, seed=7)
    rounds = max(len(events) for events, _ in stories)
    posting = time.monotonic()
    pool = WorkerPool(services)
    with ThreadPoolExecutor(8) as senders, httpx.Client() as client:  # one person's events in order
        for step in range(rounds):
            posts = [
                senders.submit(post, client, base, events[step], f"msg_g{n}_{step}")
                for n, (events, _) in enumerate(stories)
                if step < len(events)
            ]
            assert {post.result().status_code for post in posts} == {202}
            if step == 0:  # the later events arrive while the first ones are being worked on
                pool.start()
    try:
        started = time.monotonic()
        assert wait_until(lambda: settled(services), 240, interval=1.0), services.queue.counts()
    finally:
        pool.stop()
    print(f"\nposted in {started - posting:.1f} s")
    print(f"\nconverged {time.monotonic() - started:.1f} s after the last webhook")
    faults = tenant.counters()
    tenant.clear_faults()
    accounts = managed_accounts(emulator_server, key_info)
    passwords = sent_passwords(emulator_server, key_info)
    with services.sessions() as session:
        sent = session.scalar(select(func.count()).where(CredentialDelivery.status == "sent"))
    failed_calls = sum(
        n
        for calls in faults["calls"].values()
        for status, n in calls.items()
        if int(status) in (403, 429, 503)
    )
    all_calls = sum(n for calls in faults["calls"].values() for n in calls.values())
    print(f"\n{failed_calls} of {all_calls} Google calls were faults; jobs {services.queue.counts()}")

    assert failed_calls / all_calls >= 0.15, "the faults were injected"
    assert services.queue.counts()["dead"] == 0
    assert sorted(accounts) == sorted(expected.address for _, expected in stories)  # exactly these
    for _, expected in stories:
        account = accounts[expected.address]
        assert account["orgUnitPath"] == expected.org_unit, expected.address
        assert account["name"]["givenName"] == expected.given_name
        assert account.get("suspended") is False
    members: dict[str, dict[str, str]] = {}
    for ficha in FICHAS:
        group = f"ficha-{ficha}@misena.edu.co"
        listed = google_members(emulator_server, key_info, group)
        members[group] = listed
    for _, expected in stories:
        for group, listed in members.items():
            assert listed.get(expected.address) == expected.groups.get(group), (expected.address, group)
    assert sent == PEOPLE  # one delivery each, no more
    for _, expected in stories:
        emailed = passwords[expected.recipient]
        assert tenant.password_valid(expected.address, emailed[-1]), expected.address


def google_members(server: EmulatorServer, key: dict[str, Any], group: str) -> dict[str, str]:
    from tests.support.google import google_service

    admin = google_service(server, key, "admin", "directory_v1")
    found: dict[str, str] = {}
    token: str | None = None
    while True:
        page = admin.members().list(groupKey=group, maxResults=200, pageToken=token).execute()
        found |= {m["email"]: m["role"] for m in page.get("members", [])}
        token = page.get("nextPageToken")
        if not token:
            return found
