"""First sign-in tracking through the whole service: people sign in (the emulator's control
plane, as at accounts.google.com) at different times; the scheduled check records exactly
those, with one field-masked ``users.list`` page per check (the emulator's counters), and
nothing for people who did not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.accounts.first_signin import check_first_sign_ins, run_scheduled_check
from app.staff.tokens import Scope
from tests.support.databases import sqlite_url
from tests.support.events import enrolled, person
from tests.support.harness import Harness
from tests.support.mailboxes import emailed_password
from tests.support.staff_api import api_client

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
LIST = "directory.users.list"
DOCUMENTS = {"ana": "1055000001", "beto": "1055000002", "caro": "1055000003"}


def address(name: str) -> str:
    return f"{DOCUMENTS[name]}@misena.edu.co"


def key(name: str) -> str:
    return f"CC:{DOCUMENTS[name]}"


def enroll_three(harness: Harness) -> dict[str, str]:
    """Ana, Beto and Caro get accounts and their credentials by email; Dora has no personal
    email, so nothing was delivered to her. Returns each emailed temporary password."""
    passwords = {}
    for name, document in DOCUMENTS.items():
        harness.deliver(enrolled(T0, who=person(document, "CC", personal_email=f"{name}@example.com")))
        passwords[name] = emailed_password(harness.mail_to(f"{name}@example.com")[0])
    harness.deliver(enrolled(T0, who=person("1055000004", "CC", personal_email=None)))
    return passwords


def sign_in(harness: Harness, name: str, password: str) -> datetime:
    shown = harness.emulator.sign_in(address(name), password, new_password=f"Propia-{name}-2026")
    return datetime.fromisoformat(shown.replace("Z", "+00:00"))


def run_check(harness: Harness) -> Any:
    services = harness.services
    return run_scheduled_check(services.sessions, services.directory, harness.clock(), HOUR)


def test_each_first_sign_in_is_recorded_once_with_one_listing_call_per_check(harness: Harness) -> None:
    passwords = enroll_three(harness)
    ana_at = sign_in(harness, "ana", passwords["ana"])
    harness.emulator.clear_counters()

    first = run_check(harness)

    assert (first.pending, first.signed_in, first.pages) == (3, 1, 1)
    assert harness.emulator.counters()["calls"] == {LIST: {"200": 1}}
    assert harness.person(key("ana")).first_signed_in_at == ana_at
    assert harness.person(key("beto")).first_signed_in_at is None

    harness.emulator.advance_clock(20 * 60)  # within the token's hour: no refresh counted
    beto_at = sign_in(harness, "beto", passwords["beto"])
    harness.emulator.clear_counters()
    assert run_check(harness) is None, "the turn is the interval's: no second check within it"
    assert harness.emulator.counters()["total"] == 0

    harness.clock.advance(hours=1)
    harness.emulator.advance_clock(20 * 60)
    harness.emulator.sign_in(address("ana"), "Propia-ana-2026")  # a later sign-in is not a first
    second = run_check(harness)

    assert (second.pending, second.signed_in, second.pages) == (2, 1, 1)
    assert harness.emulator.counters()["calls"] == {LIST: {"200": 1}}
    assert beto_at > ana_at
    assert [harness.person(key(n)).first_signed_in_at for n in DOCUMENTS] == [ana_at, beto_at, None]
    assert harness.person("CC:1055000004").first_signed_in_at is None

    picture = api_client(harness, Scope.ACCOUNTS_READ).get(f"/v1/people/{harness.person(key('beto')).id}")
    assert picture.status_code == 200, picture.text
    assert datetime.fromisoformat(picture.json()["first_signed_in_at"]) == beto_at


class TestOnSqliteOnly:
    """What is counted is Google's calls, the same on either store."""

    @pytest.fixture
    def database_url(self, tmp_path: Path) -> str:
        return sqlite_url(tmp_path)

    def test_the_listing_stops_at_the_page_past_the_last_pending_address(self, harness: Harness) -> None:
        passwords = enroll_three(harness)
        name = {"givenName": "Personal", "familyName": "Planta"}
        later = [
            {
                "primaryEmail": f"zz.personal{n:04d}@misena.edu.co",
                "name": name,
                "password": "Temporal-2026-xyz",
            }
            for n in range(520)
        ]
        harness.emulator.seed(users=later)
        sign_in(harness, "caro", passwords["caro"])
        harness.emulator.clear_counters()

        result = check_first_sign_ins(harness.services.sessions, harness.services.directory)

        assert (result.pending, result.signed_in, result.pages) == (3, 1, 1)
        assert harness.emulator.calls(LIST) == 1, "the 520 addresses after the last pending one are not read"

    def test_with_nobody_pending_no_call_is_made(self, harness: Harness) -> None:
        passwords = enroll_three(harness)
        for name in DOCUMENTS:
            sign_in(harness, name, passwords[name])
        assert check_first_sign_ins(harness.services.sessions, harness.services.directory).signed_in == 3
        harness.emulator.clear_counters()

        again = check_first_sign_ins(harness.services.sessions, harness.services.directory)

        assert (again.pending, again.pages) == (0, 0)
        assert harness.emulator.counters()["total"] == 0
