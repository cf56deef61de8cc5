"""Accounts the configuration excludes (``MISENA_POLICY__EXCLUDED_ACCOUNTS`` and
``MISENA_POLICY__EXCLUDED_ORG_UNITS``) are ``excluded``, not a ``conflict``: IT staff read a
conflict as something to fix, and an exclusion is misena doing as it was told. The person's
page, the CLI and the bulk plan's preview say so alike, naming the setting (never the
address); an address held by someone else's account stays a conflict."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli.main import cli
from app.staff.tokens import Scope
from tests.support.events import enrolled
from tests.support.harness import Harness, HarnessFactory
from tests.support.roster_files import csv_bytes
from tests.support.staff_client import cli_environment, staff_client

ADDRESS = "1098765432@misena.edu.co"
KEY = "TI:1098765432"
NAME = {"givenName": "María José", "familyName": "Peña de la Torre"}


def _roster_row() -> dict[str, Any]:
    """The same person as the webhook's example enrollment, as a roster row."""
    return {
        "document_type": "TI",
        "document_number": "1098765432",
        "first_names": "MARÍA JOSÉ",
        "last_names": "PEÑA DE LA TORRE",
        "personal_email": "majo.pena@example.com",
        "mobile_phone": "3001234567",
        "role": "Aprendiz",
        "ficha": "2758392",
        "program_code": "228118",
        "program_name": "Análisis y Desarrollo de Software",
        "level": "Tecnólogo",
        "centro_code": "9229",
        "centro_name": "Centro de Servicios Financieros",
        "regional_code": "11",
        "regional_name": "Distrito Capital",
        "modality": "Presencial",
        "status": "En formación",
        "start_date": date(2026, 1, 20),
        "end_date": date(2028, 1, 19),
    }


def _seeded(harness: Harness, org_unit: str, name: dict[str, str] = NAME) -> Harness:
    harness.emulator.seed(
        org_units=["/Directivos", "/Directivos/Rectoria"] if org_unit != "/" else [],
        users=[
            {"primaryEmail": ADDRESS, "name": name, "password": "Hand-Made-2026", "orgUnitPath": org_unit}
        ],
    )
    harness.deliver(enrolled(harness.clock() - timedelta(days=1)))
    return harness


def _everywhere(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str | None, str, str]:
    """The status and reason on /v1/people/{id}, the CLI's ``accounts show --json`` status, and
    the bulk plan's preview of the same person."""
    person_id = harness.person(KEY).id
    page = staff_client(harness, Scope.ACCOUNTS_READ).get(f"/v1/people/{person_id}")
    assert page.status_code == 200, page.text
    with cli_environment(harness, monkeypatch):
        shown = CliRunner().invoke(cli, ["accounts", "show", "1098765432", "--json"])
    assert shown.exit_code == 0, shown.output
    run_id = harness.services.sync.plan(
        io.BytesIO(csv_bytes([_roster_row()], encoding="utf-8", delimiter=";")),
        scope="all",
        actor="test",
        source_name="reporte.csv",
    )
    [item] = [
        f",{i.action},{i.detail}" for i in harness.services.sync.export_rows(run_id) if i.person_key == KEY
    ]
    body = page.json()
    return body["account_status"], body["status_reason"], json.loads(shown.stdout)["account_status"], item


@pytest.mark.parametrize(
    ("policy", "org_unit", "setting"),
    [
        ({"excluded_accounts": [ADDRESS]}, "/", "MISENA_POLICY__EXCLUDED_ACCOUNTS"),
        (
            {"excluded_org_units": ["/Directivos"]},
            "/Directivos/Rectoria",
            "MISENA_POLICY__EXCLUDED_ORG_UNITS",
        ),
    ],
    ids=["account", "org unit"],
)
def test_a_configured_exclusion_is_excluded_everywhere_naming_the_setting(
    make_harness: HarnessFactory,
    monkeypatch: pytest.MonkeyPatch,
    policy: dict[str, Any],
    org_unit: str,
    setting: str,
) -> None:
    harness = _seeded(make_harness(policy=policy), org_unit)
    status, reason, cli_status, previewed = _everywhere(harness, monkeypatch)
    assert (status, cli_status) == ("excluded", "excluded")
    assert reason is not None
    assert setting in reason
    assert "1098765432" not in reason, "the reason never names the address"
    assert ",left_alone,excluded: " in previewed
    assert setting in previewed
    assert "conflict" not in previewed
    account = harness.get_user(ADDRESS)
    assert account is not None
    assert account["orgUnitPath"] == org_unit, "an excluded account is still never changed"


def test_an_address_held_by_someone_elses_account_stays_a_conflict(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seeded(harness, "/", name={"givenName": "Otra", "familyName": "Persona"})
    status, reason, cli_status, previewed = _everywhere(harness, monkeypatch)
    assert (status, cli_status) == ("conflict", "conflict")
    assert "MISENA_POLICY" not in (reason or "")
    assert ",left_alone,conflict: " in previewed
