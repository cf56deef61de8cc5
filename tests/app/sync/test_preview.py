"""A bulk plan's preview is what applying it does: each case is planned at a terminal
(``misena sync plan``), applied, run by the worker, and read back from the emulator.

The cases are the ones where the preview and the reconcile used to disagree: a roster that
states an ending nobody can date, an instructor row with no place, IT staff's suspension, and
suspensions the circuit breaker holds or IT staff discarded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli.main import cli
from app.staff.tokens import Scope
from tests.support.databases import sqlite_url
from tests.support.events import enrolled, person, status_changed
from tests.support.harness import Harness, HarnessFactory
from tests.support.roster_files import ENROLLMENT_FIELDS, csv_bytes
from tests.support.roster_sync import enroll_known, row
from tests.support.staff_api import api_client, person_id
from tests.support.staff_client import StaffClient, cli_environment

NEWCOMER, WITHDRAWN, GRADUATE, INSTRUCTOR = "1033000111", "1033000222", "1033000333", "79000444"
#: The roster columns an instructor row may leave empty (contract §2).
ENROLLMENT_COLUMNS = ENROLLMENT_FIELDS


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the preview is about the plan and the reconcile agreeing, and the
    bulk sync and queue suites run PostgreSQL."""
    return sqlite_url(tmp_path)


class Sync:
    """``misena sync ...`` against the harness, answering with the run's JSON."""

    def __init__(self, harness: Harness, tmp_path: Path) -> None:
        self.harness = harness
        self.tmp_path = tmp_path
        self.runner = CliRunner()

    def plan(self, rows: list[dict[str, Any]], scope: str = "all") -> dict[str, Any]:
        path = self.tmp_path / "reporte.csv"
        path.write_bytes(csv_bytes(rows, encoding="cp1252", delimiter=";"))
        return self._json("sync", "plan", str(path), "--scope", scope, "--json")

    def items(self, run: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
        """person key → (action, detail, state), as the run stored them (``misena sync
        export`` shows the same rows, with the document masked: see test_runs)."""
        return {
            item.person_key: (item.action, item.detail, str(item.state))
            for item in self.harness.services.sync.export_rows(run["id"])
        }

    def apply(self, run: dict[str, Any]) -> dict[str, Any]:
        applied = self._json("sync", "apply", str(run["id"]), "--json")
        self.harness.drain()
        return applied

    def _json(self, *args: str) -> dict[str, Any]:
        result = self.runner.invoke(cli, list(args))
        assert result.exit_code == 0, result.output
        data: dict[str, Any] = json.loads(result.stdout)
        return data


@pytest.fixture
def sync(harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Sync]:
    with cli_environment(harness, monkeypatch):
        yield Sync(harness, tmp_path)


def account(harness: Harness, document: str) -> dict[str, Any] | None:
    return harness.get_user(f"{document}@misena.edu.co")


def suspended(harness: Harness, document: str) -> bool:
    user = account(harness, document)
    assert user is not None
    return bool(user["suspended"])


def test_a_roster_creates_no_account_for_an_ending_it_cannot_date(harness: Harness, sync: Sync) -> None:
    """A withdrawal or a certification in the export may be years old: the export says how an
    enrollment stands, never since when. For someone with no account that is no reason to
    create one (and email credentials "active until ..."): no account is created only to be
    suspended. An account that exists keeps its whole grace period from the export."""
    enroll_known(harness, ["52000001"])
    run = sync.plan([
        row(NEWCOMER, "NUEVO"),
        row(WITHDRAWN, "RETIRADA", status="Retiro voluntario"),
        row(GRADUATE, "EGRESADO", status="Certificado"),
        row("52000001", status="Retiro voluntario"),
    ])  # fmt: skip
    items = sync.items(run)
    assert run["counts"]["create"] == 1
    assert items[f"CC:{NEWCOMER}"][0] == "create"
    for document, reason in ((WITHDRAWN, "RETIRO_VOLUNTARIO"), (GRADUATE, "certified")):
        action, detail, state = items[f"CC:{document}"]
        assert (action, state) == ("unchanged", "skipped")
        assert detail.startswith("no account created: "), detail
        assert reason in detail
        assert "active until" not in detail

    sync.apply(run)
    assert account(harness, NEWCOMER) is not None
    for document in (WITHDRAWN, GRADUATE):
        assert account(harness, document) is None
        assert harness.mail_to(f"p{document}@example.com") == [], "no credentials for an ended person"
    assert harness.emulator.calls("directory.users.insert", 200) == 2  # the enrolled one and the newcomer
    assert not suspended(harness, "52000001"), "an existing account keeps its grace period"
    assert harness.person("CC:52000001").next_review_at is not None


def test_an_instructor_row_without_enrollment_columns_is_planned_in_a_centro_scope(
    harness: Harness, sync: Sync
) -> None:
    """Contract §2: an instructor row may leave the enrollment columns empty, and the export is
    the full population of its scope — so a row in centro 9229's export is centro 9229's."""
    instructor = {**row(INSTRUCTOR, "PROFE"), "role": "Instructor", **dict.fromkeys(ENROLLMENT_COLUMNS, "")}
    run = sync.plan([row(NEWCOMER, "NUEVO"), instructor], scope="centro:9229")
    assert run["roster_people"] == 2
    assert run["counts"]["create"] == 2
    assert sync.items(run)[f"CC:{INSTRUCTOR}"][:2] == ("create", "create in /Instructores/Sin Regional")

    sync.apply(run)
    created = account(harness, INSTRUCTOR)
    assert created is not None
    assert created["orgUnitPath"] == "/Instructores/Sin Regional"


def who(document: str) -> dict[str, Any]:
    """The person as :func:`enroll_known` enrolled them."""
    return person(document, "CC", first_names="ANA MARÍA", last_names="PEÑA TORRES",
                  personal_email=f"p{document}@example.com")  # fmt: skip


def staff_suspend(staff: StaffClient, harness: Harness, document: str) -> None:
    answer = staff.post(
        f"/v1/people/{person_id(harness, f'CC:{document}')}/suspend", {"reason": "Ticket 4711"}
    )
    assert answer.status_code == 202, answer.text


def test_a_staff_suspension_is_previewed_as_the_reconcile_keeps_it(harness: Harness, sync: Sync) -> None:
    """IT staff's suspension overrides Sofia Plus: listed as active, the account stays suspended
    (no REACTIVATE in the preview); left out of the export, it is not one more suspension."""
    listed, absent, other = "52000001", "52000002", "52000003"
    enroll_known(harness, [listed, absent, other])
    staff = api_client(harness, Scope.ACCOUNTS_WRITE, Scope.ACCOUNTS_READ)
    staff_suspend(staff, harness, listed)
    staff_suspend(staff, harness, absent)
    harness.drain()
    assert suspended(harness, listed)
    assert suspended(harness, absent)

    run = sync.plan([row(listed, "ANA LUCÍA"), row(other)])  # a corrected name; `absent` left out
    items = sync.items(run)
    assert run["counts"]["reactivate"] == 0
    assert run["counts"]["suspend"] == 0, "already suspended by IT staff: the plan suspends nobody"
    assert items[f"CC:{listed}"][:2] == ("update", "update name")
    # absent: the ficha ends (custom schema, group) on an account that stays suspended
    assert items[f"CC:{absent}"][:2] == ("update", "update custom_schemas; 1 ficha group change(s)")

    sync.apply(run)
    assert suspended(harness, listed), "the reconcile the plan queued kept IT staff's suspension"
    user = account(harness, listed)
    assert user is not None
    assert user["name"]["givenName"] == "Ana Lucía"
    assert suspended(harness, absent)
    detail = staff.get(f"/v1/people/{person_id(harness, f'CC:{listed}')}").json()
    assert detail["desired"]["suspended"] is True, "the person's page shows the same account"
    assert detail["desired"]["standing_reason"] == "suspended by IT staff: Ticket 4711"


def test_held_and_discarded_suspensions_are_previewed_as_the_brake_decides(
    make_harness: HarnessFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With the circuit breaker holding every suspension, one held and one discarded by IT
    staff: a roster restating their cancellations plans no suspension — applying it suspends
    nobody, exactly as the preview says."""
    harness = make_harness(brake={"limit": 0, "window_seconds": 3600})
    held, discarded = "52000001", "52000002"
    enrolled_at = harness.clock() - timedelta(days=60)  # the CLI plans at the real now
    for document in (held, discarded):
        harness.deliver(
            enrolled(enrolled_at, who=who(document)),
            status_changed(enrolled_at + timedelta(days=15), "CANCELADO", who=who(document)),
        )
    admin = api_client(harness, Scope.ADMIN)
    holds = admin.get("/v1/suspension-holds").json()["items"]
    assert len(holds) == 2
    [to_discard] = [h["id"] for h in holds if h["person_id"] == person_id(harness, f"CC:{discarded}")]
    assert admin.post("/v1/suspension-holds/discard", {"ids": [to_discard]}).status_code == 200
    harness.drain()

    with cli_environment(harness, monkeypatch):
        sync = Sync(harness, tmp_path)
        run = sync.plan([row(d, status="Cancelado") for d in (held, discarded)])
        items = sync.items(run)
        assert run["counts"]["suspend"] == 0
        assert run["status"] == "planned", "nothing to suspend: no refusal either"
        assert items[f"CC:{held}"][:2] == (
            "left_alone",
            "suspension held for IT staff (misena brake list): enrollment CANCELADO in ficha 2758392",
        )
        assert items[f"CC:{discarded}"][:2] == (
            "left_alone",
            "suspension discarded by IT staff: enrollment CANCELADO in ficha 2758392",
        )
        sync.apply(run)
    assert not suspended(harness, held)
    assert not suspended(harness, discarded)
