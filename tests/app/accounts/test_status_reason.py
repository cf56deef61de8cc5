"""The reason on a person's page (``status_reason``) is why the account is the way it is *now*:
once the reconcile has run, never a suspension IT staff lifted, nor one the circuit breaker
held for someone Sofia Plus made active again."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli.main import cli
from app.staff.tokens import Scope
from tests.support.databases import sqlite_url
from tests.support.events import enrolled, status_changed
from tests.support.harness import Harness, HarnessFactory
from tests.support.staff_api import api_client, person_id
from tests.support.staff_client import cli_environment

MAJO, ADDRESS = "TI:1098765432", "1098765432@misena.edu.co"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the reasons are the reconcile's, and the other service suites run
    PostgreSQL."""
    return sqlite_url(tmp_path)


def suspended(harness: Harness) -> bool:
    user = harness.get_user(ADDRESS)
    assert user is not None
    return bool(user["suspended"])


def test_unsuspend_at_the_terminal_leaves_no_staff_reason(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.deliver(enrolled(harness.clock() - timedelta(days=1)))
    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(cli, list(args))
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout) if "--json" in args else result

    with cli_environment(harness, monkeypatch):
        run("accounts", "suspend", "1098765432", "--reason", "Uso indebido, ticket 4711")
        harness.drain()
        assert suspended(harness)
        assert run("accounts", "show", "1098765432", "--json")["status_reason"] == (
            "suspended by IT staff: Uso indebido, ticket 4711"
        )
        run("accounts", "unsuspend", "1098765432", "--reason", "Aclarado")
        harness.drain()
        shown = run("accounts", "show", "1098765432", "--json")
    assert not suspended(harness)
    assert (shown["account_status"], shown["status_reason"]) == ("active", None)
    assert shown["workspace"]["suspension_reason"] is None
    assert shown["staff_suspended"] is False


def test_unsuspending_someone_sofia_withdrew_meanwhile_shows_the_lifecycle_reason(harness: Harness) -> None:
    """The lifecycle still decides once staff lift their suspension: an apprentice whose
    cancellation's grace period ran out stays suspended — for that reason, not staff's."""
    start = harness.clock() - timedelta(days=60)
    harness.deliver(enrolled(start))
    staff = api_client(harness, Scope.ACCOUNTS_READ, Scope.ACCOUNTS_WRITE)
    majo = person_id(harness, MAJO)
    assert staff.post(f"/v1/people/{majo}/suspend", {"reason": "Ticket 4711"}).status_code == 202
    harness.drain()
    harness.deliver(status_changed(start + timedelta(days=10), "CANCELADO"))
    assert suspended(harness)

    assert staff.post(f"/v1/people/{majo}/unsuspend", {"reason": "Aclarado"}).status_code == 202
    harness.drain()
    detail = staff.get(f"/v1/people/{majo}").json()
    assert suspended(harness), "withdrawn for 50 days: the lifecycle keeps the account suspended"
    assert detail["account_status"] == "suspended"
    assert detail["status_reason"] == "enrollment CANCELADO in ficha 2758392"
    assert detail["workspace"]["suspension_reason"] == "enrollment CANCELADO in ficha 2758392"
    assert detail["desired"]["standing_reason"] == "enrollment CANCELADO in ficha 2758392"


@pytest.mark.parametrize("decision", ["held", "discarded"])
def test_a_held_suspension_leaves_no_reason_once_the_person_is_active_again(
    make_harness: HarnessFactory, decision: str
) -> None:
    harness = make_harness(brake={"limit": 0, "window_seconds": 3600})
    start = harness.clock() - timedelta(days=60)
    harness.deliver(enrolled(start), status_changed(start + timedelta(days=10), "CANCELADO"))
    staff = api_client(harness, Scope.ADMIN)
    majo = person_id(harness, MAJO)
    assert staff.get(f"/v1/people/{majo}").json()["status_reason"] == (
        "suspension held for IT staff: enrollment CANCELADO in ficha 2758392"
    )
    if decision == "discarded":
        assert staff.post("/v1/suspension-holds/discard", {"ids": None}).json()["count"] == 1
        harness.drain()
        assert staff.get(f"/v1/people/{majo}").json()["status_reason"] == (
            "suspension discarded by IT staff: enrollment CANCELADO in ficha 2758392"
        )

    harness.deliver(enrolled(harness.clock() - timedelta(days=1), ficha="3100200"))  # Sofia: active again
    detail = staff.get(f"/v1/people/{majo}").json()
    assert not suspended(harness)
    assert (detail["account_status"], detail["status_reason"]) == ("active", None)
    assert [h["state"] for h in detail["holds"]] == ["obsolete"]
