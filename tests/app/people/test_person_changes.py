"""Corrections to a person (names, personal email, mobile), exclusions, and the sweeper thread."""

from __future__ import annotations

import time
from datetime import timedelta

from app.runtime.worker import WorkerPool
from tests.support.events import enrolled, person, person_updated, status_changed
from tests.support.harness import Harness, HarnessFactory

ADDRESS = "1098765432@misena.edu.co"
KEY = "TI:1098765432"


def test_corrections_reach_the_account_and_older_ones_never_win(harness: Harness) -> None:
    start = harness.clock() - timedelta(days=5)
    harness.deliver(enrolled(start))
    corrected = person(
        first_names="MARIA JOSEFA", personal_email="nuevo.correo@example.com", mobile_phone="311 555 0101"
    )
    harness.deliver(person_updated(start + timedelta(days=2), who=corrected))
    stale = person(first_names="MAJO", personal_email="viejo@example.com")
    harness.deliver(person_updated(start + timedelta(days=1), who=stale))

    account = harness.get_user(ADDRESS)
    assert account is not None
    assert account["name"]["givenName"] == "Maria Josefa"
    assert account["recoveryEmail"] == "nuevo.correo@example.com"
    assert account["recoveryPhone"] == "+573115550101"
    assert len(harness.deliveries(KEY)) == 1, "a correction sends no new credentials"


def test_an_excluded_account_is_never_changed(make_harness: HarnessFactory) -> None:
    harness = make_harness(policy={"excluded_accounts": [ADDRESS]})
    name = {"givenName": "María José", "familyName": "Peña de la Torre"}
    harness.emulator.seed(
        users=[{"primaryEmail": ADDRESS, "name": name, "password": "Hand-Made-2026", "orgUnitPath": "/"}]
    )
    harness.deliver(enrolled(harness.clock() - timedelta(days=1)))
    account = harness.get_user(ADDRESS)
    assert account is not None
    assert account["orgUnitPath"] == "/"
    assert "externalIds" not in account
    assert (
        harness.emulator.calls("directory.users.update") + harness.emulator.calls("directory.users.patch")
        == 0
    )
    person_row = harness.person(KEY)
    assert person_row.account_status == "excluded"
    assert "MISENA_POLICY__EXCLUDED_ACCOUNTS" in (person_row.status_reason or "")


def test_the_worker_pool_sweeps_by_itself(make_harness: HarnessFactory) -> None:
    harness = make_harness(sweep_interval_seconds=0.05, worker_poll_seconds=0.05, worker_threads=1)
    start = harness.clock() - timedelta(days=2)
    harness.deliver(enrolled(start), status_changed(start + timedelta(hours=1), "RETIRO_VOLUNTARIO"))
    harness.clock.advance(days=31)
    pool = WorkerPool(harness.services)
    pool.start()
    try:
        for _ in range(200):  # a bounded wait for the background threads, not a speed assertion
            account = harness.get_user(ADDRESS)
            if account is not None and account["suspended"]:
                break
            time.sleep(0.05)
    finally:
        pool.stop()
    account = harness.get_user(ADDRESS)
    assert account is not None
    assert account["suspended"] is True
