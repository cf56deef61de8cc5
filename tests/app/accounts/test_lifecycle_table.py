"""The lifecycle, transition by transition: status, roles, grace elapsed or not, each case
asserted on the Workspace account as Google (the emulator) holds it afterwards.

Every case enrolls an apprentice in ficha 2758392, then moves that enrollment to ``status``
a day later; ``roles`` adds what else holds (or held) the account. "Elapsed" moves the
service's clock 200 days on (past the 30-day grace and the 180 days a graduate keeps the
account) and lets the sweep — not another event — trigger the change.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.databases import sqlite_url
from tests.support.events import enrolled, roles_changed, status_changed
from tests.support.harness import Harness

ADDRESS = "1098765432@misena.edu.co"
APPRENTICES = "/Aprendices/Distrito Capital"
GRADUATES = "/Egresados/Distrito Capital"
INSTRUCTORS = "/Instructores/Distrito Capital"
ACTIVE = "active"
SUSPENDED = "suspended"

# status, roles, grace elapsed → account state, org unit
TABLE = [
    # An active status keeps the account active, whatever else is true.
    ("EN_FORMACION", "apprentice", False, ACTIVE, APPRENTICES),
    ("EN_FORMACION", "apprentice", True, ACTIVE, APPRENTICES),
    ("CONDICIONADO", "apprentice", False, ACTIVE, APPRENTICES),
    ("CONDICIONADO", "apprentice", True, ACTIVE, APPRENTICES),
    ("APLAZADO", "apprentice", False, ACTIVE, APPRENTICES),
    ("APLAZADO", "apprentice", True, ACTIVE, APPRENTICES),
    ("TRASLADADO", "apprentice", False, ACTIVE, APPRENTICES),
    ("TRASLADADO", "apprentice", True, ACTIVE, APPRENTICES),
    ("POR_CERTIFICAR", "apprentice", False, ACTIVE, APPRENTICES),
    ("POR_CERTIFICAR", "apprentice", True, ACTIVE, APPRENTICES),
    # Certified: graduates' unit, active for the configured period, then suspended.
    ("CERTIFICADO", "apprentice", False, ACTIVE, GRADUATES),
    ("CERTIFICADO", "apprentice", True, SUSPENDED, GRADUATES),
    # Cancelled / withdrawn: active during the grace period, then suspended where they sat.
    ("CANCELADO", "apprentice", False, ACTIVE, APPRENTICES),
    ("CANCELADO", "apprentice", True, SUSPENDED, APPRENTICES),
    ("RETIRO_VOLUNTARIO", "apprentice", False, ACTIVE, APPRENTICES),
    ("RETIRO_VOLUNTARIO", "apprentice", True, SUSPENDED, APPRENTICES),
    # The Instructor role holds the account and wins the org unit.
    ("EN_FORMACION", "instructor", True, ACTIVE, INSTRUCTORS),
    ("CERTIFICADO", "instructor", False, ACTIVE, INSTRUCTORS),
    ("CERTIFICADO", "instructor", True, ACTIVE, INSTRUCTORS),
    ("CANCELADO", "instructor", False, ACTIVE, INSTRUCTORS),
    ("CANCELADO", "instructor", True, ACTIVE, INSTRUCTORS),
    ("RETIRO_VOLUNTARIO", "instructor", True, ACTIVE, INSTRUCTORS),
    # Another active enrollment holds the account.
    ("CERTIFICADO", "other active enrollment", True, ACTIVE, APPRENTICES),
    ("CANCELADO", "other active enrollment", False, ACTIVE, APPRENTICES),
    ("CANCELADO", "other active enrollment", True, ACTIVE, APPRENTICES),
    ("RETIRO_VOLUNTARIO", "other active enrollment", True, ACTIVE, APPRENTICES),
    # Instructor role taken away, no active enrollment: grace, then suspended.
    ("CANCELADO", "instructor removed", False, ACTIVE, APPRENTICES),
    ("CANCELADO", "instructor removed", True, SUSPENDED, APPRENTICES),
    ("EN_FORMACION", "instructor removed", True, ACTIVE, APPRENTICES),
    ("CERTIFICADO", "instructor removed", True, SUSPENDED, GRADUATES),
]


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """SQLite only: the table is about policy, and PostgreSQL runs the other service tests."""
    return sqlite_url(tmp_path)


def _events(harness: Harness, status: str, roles: str) -> list[dict[str, object]]:
    start = harness.clock() - timedelta(days=3)
    day = timedelta(days=1)
    events = [enrolled(start)]
    if roles == "instructor":
        events.append(roles_changed(start + day, ["APRENDIZ", "INSTRUCTOR"], ["APRENDIZ"]))
    elif roles == "instructor removed":
        events.append(roles_changed(start, ["APRENDIZ", "INSTRUCTOR"], ["APRENDIZ"]))
        events.append(roles_changed(start + day, ["APRENDIZ"], ["APRENDIZ", "INSTRUCTOR"]))
    elif roles == "other active enrollment":
        events.append(enrolled(start, ficha="2900001"))
    if status != "EN_FORMACION":
        events.append(status_changed(start + 2 * day, status))
    return events


@pytest.mark.parametrize(("status", "roles", "elapsed", "state", "org_unit"), TABLE)
def test_lifecycle_transition(
    harness: Harness, status: str, roles: str, elapsed: bool, state: str, org_unit: str
) -> None:
    harness.deliver(*_events(harness, status, roles))
    before = harness.get_user(ADDRESS)
    assert before is not None
    assert before["suspended"] is False, "nothing is suspended before its grace period ends"
    if elapsed:
        harness.clock.advance(days=200)
        harness.sweep()
        harness.drain()
    account = harness.get_user(ADDRESS)
    assert account is not None
    assert account["orgUnitPath"] == org_unit
    assert account["suspended"] is (state == SUSPENDED)
    person = harness.person("TI:1098765432")
    assert person.suspended_by_misena is (state == SUSPENDED)
    if state == SUSPENDED:
        assert person.suspension_reason, "a suspension always records its reason"
        assert "1098765432" not in person.suspension_reason
        assert person.next_review_at is None
    assert harness.emulator.calls("directory.users.insert", 200) == 1, "one account, whatever happened"


def test_a_grace_period_ends_by_itself_only_once_its_time_comes(harness: Harness) -> None:
    start = harness.clock() - timedelta(days=1)
    cancelled = start + timedelta(hours=1)
    harness.deliver(enrolled(start), status_changed(cancelled, "CANCELADO"))
    person = harness.person("TI:1098765432")
    assert person.next_review_at == cancelled + timedelta(days=30)
    harness.clock.advance(days=28)
    assert harness.sweep() == 0
    harness.clock.advance(days=2)
    assert harness.sweep() == 1
    assert harness.sweep() == 0, "a person is queued once per review"
    harness.drain()
    account = harness.get_user(ADDRESS)
    assert account is not None
    assert account["suspended"] is True


def test_reenrollment_reactivates_and_moves_back_without_new_credentials(harness: Harness) -> None:
    start = harness.clock() - timedelta(days=1)
    harness.deliver(enrolled(start), status_changed(start + timedelta(hours=1), "CERTIFICADO"))
    harness.clock.advance(days=200)
    harness.sweep()
    harness.drain()
    graduated = harness.get_user(ADDRESS)
    assert graduated is not None
    assert graduated["suspended"]
    assert graduated["orgUnitPath"] == GRADUATES
    harness.deliver(enrolled(harness.clock() - timedelta(hours=1), ficha="3100200"))
    account = harness.get_user(ADDRESS)
    assert account is not None
    assert account["suspended"] is False
    assert account["orgUnitPath"] == APPRENTICES
    assert len(harness.deliveries("TI:1098765432")) == 1, "re-enrollment sends no new credentials"
    assert harness.emulator.calls("directory.users.insert", 200) == 1


def test_an_account_suspended_outside_misena_is_never_reactivated_by_it(harness: Harness) -> None:
    harness.deliver(enrolled(harness.clock() - timedelta(days=1)))
    harness.services.directory.set_suspended(ADDRESS, True)  # an admin, for misuse
    harness.deliver(enrolled(harness.clock() - timedelta(hours=1), ficha="3100200"))
    account = harness.get_user(ADDRESS)
    assert account is not None
    assert account["suspended"] is True
    assert "outside misena" in (harness.person("TI:1098765432").status_reason or "")


def test_no_account_is_created_only_to_be_suspended(harness: Harness) -> None:
    long_ago = harness.clock() - timedelta(days=400)
    harness.deliver(status_changed(long_ago, "CANCELADO"))
    assert harness.get_user(ADDRESS) is None
    assert harness.emulator.calls("directory.users.insert") == 0
    assert harness.deliveries("TI:1098765432") == []
