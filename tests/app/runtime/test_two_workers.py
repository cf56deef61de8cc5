"""Two worker processes on PostgreSQL draining 250 enrollments: every account created exactly
once, every person emailed exactly once."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.clock import system_clock
from app.db.models import CredentialDelivery, Job
from app.runtime.services import build_services
from app.runtime.worker import Worker
from tests.support.databases import postgres_schema
from tests.support.harness import Harness, HarnessFactory, enrollment, service_settings

PEOPLE = 250


def drain_in_process(database_url: str, key_file: str, endpoint: str, name: str) -> None:
    settings = service_settings(
        database_url,
        Path(key_file),
        endpoint,
        google_creates_per_second=1000.0,
        google_queries_per_minute=100_000.0,
        gmail_sends_per_minute=100_000.0,  # the emulator's limits are off: exactly-once is the point
    )
    services = build_services(settings)
    worker = Worker(services, name)
    idle = 0
    while idle < 20:
        if worker.run_once():
            idle = 0
        else:
            idle += 1
            time.sleep(0.05)


@pytest.fixture
def database_url() -> Iterator[str]:
    """PostgreSQL only: sharing one queue between processes is what it is for."""
    with postgres_schema() as url:
        yield url


@pytest.fixture
def harness(make_harness: HarnessFactory) -> Harness:
    """On the machine's clock, as the worker processes are: they share one queue's leases."""
    return make_harness(clock=system_clock)


@pytest.mark.postgres
def test_two_worker_processes_create_each_account_once(harness: Harness, database_url: str) -> None:
    harness.emulator.configure(limits_enabled=False)
    for n in range(PEOPLE):
        response = harness.post(
            enrollment(str(30_000_000 + n), document_type="CC", email_address=f"a{n}@example.com")
        )
        assert response.status_code == 202
    key_file = harness.services.settings.google_key_file
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(
            target=drain_in_process,
            args=(database_url, str(key_file), harness.emulator_server.base_url, f"proc-{i}"),
        )
        for i in range(2)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=600)
        assert process.exitcode == 0
    assert harness.emulator.calls("directory.users.insert", 200) == PEOPLE
    assert harness.emulator.calls("directory.users.insert", 409) == 0
    assert harness.emulator.calls("gmail.users.messages.send", 200) == PEOPLE
    with harness.services.sessions() as session:
        sent = session.scalar(
            select(func.count()).select_from(CredentialDelivery).where(CredentialDelivery.status == "sent")
        )
        leftover = session.scalar(select(func.count()).select_from(Job).where(Job.state != "done"))
    assert sent == PEOPLE
    assert leftover == 0
