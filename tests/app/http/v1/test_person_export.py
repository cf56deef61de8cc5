"""``GET /v1/people/{id}/export`` and ``misena accounts export``: everything misena holds about
one person (habeas data, Ley 1581 de 2012) — every table that points at people, the webhook
payloads and sync items that name them — audited with who, when and why, never a password."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.db.models import Base, Person
from app.lookup.export import person_tables
from app.staff.tokens import Scope
from tests.support.events import person, person_updated
from tests.support.harness import Harness
from tests.support.mailboxes import emailed_password
from tests.support.staff_api import api_client, assert_problem, enroll, person_id
from tests.support.staff_client import staff_cli

CC = "CC:1000123456"
MAJO_EMAIL = "majo.pena@example.com"
REASON = "Solicitud de habeas data radicado 2026-118"

__all__ = ["staff_cli"]


def _referencing_people() -> set[str]:
    """Read here from the metadata, not from the export: a new table pointing at people fails
    this test until the export holds it."""
    people_id = Person.__table__.c.id
    return {
        t.name for t in Base.metadata.sorted_tables if any(fk.column is people_id for fk in t.foreign_keys)
    }


def _majo_with_history(harness: Harness) -> int:
    """Enrolled (account, credentials, a job, audit), then a document change (an alias), then
    suspended by IT staff (a suspension, more audit)."""
    enroll(harness, person())
    harness.deliver(
        person_updated(harness.clock(), who=person("1.000.123.456", "CC"), previous=("TI", "1.098.765.432"))
    )
    majo = person_id(harness, CC)
    harness.services.staff.suspend(majo, "soporte@misena.edu.co", "uso indebido")
    harness.drain()
    return majo


def test_the_export_holds_every_table_about_the_person_and_is_audited(harness: Harness) -> None:
    majo = _majo_with_history(harness)
    password = emailed_password(harness.mail_to(MAJO_EMAIL)[0])
    reader = api_client(harness, Scope.ACCOUNTS_READ, name="habeas")
    response = reader.get(f"/v1/people/{majo}/export", reason=REASON)
    assert response.status_code == 200, response.text
    export = response.json()
    tables: dict[str, list[dict[str, Any]]] = export["tables"]
    assert _referencing_people() <= set(tables), "every table with a foreign key to people"
    assert {t.name for t in person_tables()} == _referencing_people()
    assert {"people", "webhook_events", "sync_items"} <= set(tables)
    [row] = tables["people"]
    assert (row["id"], row["person_key"]) == (majo, CC)
    assert [a["person_key"] for a in tables["person_aliases"]] == ["TI:1098765432"]
    assert tables["credential_deliveries"][0]["recipient_email"] == MAJO_EMAIL
    assert tables["jobs"], "the person's jobs"
    assert len(tables["webhook_events"]) == 2, "the enrollment under TI and the change to CC"
    assert all(event["payload"] for event in tables["webhook_events"])
    actions = {entry["action"] for entry in tables["audit_events"]}
    assert {"account.create", "person.suspend", "person.export"} <= actions
    [entry] = [e for e in tables["audit_events"] if e["action"] == "person.export"]
    assert (entry["actor"], entry["reason"], entry["person_id"]) == ("token:habeas", REASON, majo)
    assert (export["exported_by"], export["reason"]) == ("token:habeas", REASON)
    assert password not in response.text, "never a password"
    assert "password" not in response.text.lower()


def test_the_export_needs_a_reason_accounts_read_and_a_known_person(harness: Harness) -> None:
    majo = _majo_with_history(harness)
    reader = api_client(harness, Scope.ACCOUNTS_READ)
    assert_problem(reader.get(f"/v1/people/{majo}/export"), 422, "reason")
    assert_problem(reader.get(f"/v1/people/{majo}/export", reason="x"), 422, "reason")
    assert_problem(reader.get("/v1/people/424242/export", reason=REASON), 404)
    assert_problem(api_client(harness, Scope.JOBS_WRITE).get(f"/v1/people/{majo}/export", reason=REASON), 403)


def test_accounts_export_writes_the_json_file(harness: Harness, staff_cli: Any, tmp_path: Path) -> None:
    majo = _majo_with_history(harness)
    target = tmp_path / "habeas.json"
    result = staff_cli("accounts", "export", "CC:1000123456", "-o", str(target), "--reason", REASON)
    assert result.exit_code == 0, result.output
    assert "exportados a" in result.stdout
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert exported["person_id"] == majo
    assert exported["tables"]["people"][0]["person_key"] == CC
    missing = staff_cli(
        "accounts", "export", "--id", "424242", "-o", str(tmp_path / "x.json"), "--reason", REASON
    )
    assert missing.exit_code == 3, missing.output
