"""Sync runs in real Chromium: upload a Windows-1252 roster, see the plan with names and counts,
apply the refused plan with its confirmation number (a wrong number is refused)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.db.models import AuditEvent
from tests.app.console.conftest import Console, assert_accessible
from tests.support.browser import PageOpener
from tests.support.roster_files import csv_bytes
from tests.support.roster_sync import KNOWN, enroll_known, row


def test_upload_a_windows_1252_roster_and_apply_its_plan_with_the_confirmation(
    console: Console, open_page: PageOpener, tmp_path: Path
) -> None:
    harness = console.harness
    enroll_known(harness, KNOWN)
    rows = [row(d) for d in KNOWN[:15]]  # 5 of 20 missing: refused until confirmed
    rows.append(row("1033000111", "JOSÉ NÚÑEZ"))
    roster = tmp_path / "reporte-matricula.csv"
    data = csv_bytes(rows, encoding="cp1252", delimiter=";")
    assert "NÚÑEZ".encode("cp1252") in data
    roster.write_bytes(data)
    browsed = open_page()
    page = browsed.page
    console.sign_in_with_token(page, console.admin_token)
    page.get_by_role("link", name="Sincronizaciones").click()
    page.get_by_label("Archivo de matrícula").set_input_files(roster)
    page.get_by_role("button", name="Planear").click()
    page.get_by_role("status").filter(has_text="Plan listo").wait_for()
    # 5 of 20 absent from the export: inside their grace period, suspended when it ends
    assert page.get_by_role("row", name="Se suspende al terminar la gracia 5").count() == 1
    assert page.get_by_role("row", name="Crear 1").count() == 1
    assert page.get_by_role("cell", name="JOSÉ NÚÑEZ", exact=False).count() == 1
    # The plan as its export shows it: documents masked, reasons in Spanish.
    assert page.get_by_role("cell", name="*******111", exact=True).count() == 1
    assert page.get_by_text("1033000111").count() == 0
    assert page.get_by_text("absent from the roster", exact=False).count() == 0
    assert page.get_by_role("alert").filter(has_text="suspendería 5 de 20").count() == 1
    assert_accessible(page)
    browsed.screenshot("plan", full_page=True)
    page.get_by_label("Para aplicarlo de todos modos").fill("4")
    page.get_by_role("button", name="Aplicar el plan").click()
    page.get_by_role("alert").filter(has_text="suspendería 5 de 20").first.wait_for()
    assert harness.person("CC:" + KNOWN[0]).record is not None
    assert page.get_by_role("button", name="Aplicar el plan").count() == 1  # still refused
    page.get_by_label("Para aplicarlo de todos modos").fill("5")
    page.get_by_role("button", name="Aplicar el plan").click()
    page.get_by_role("status").filter(has_text="Plan aplicado").wait_for()
    assert page.get_by_role("button", name="Aplicar el plan").count() == 0
    assert page.get_by_role("alert").count() == 0  # no longer refused
    assert (
        page.get_by_text(
            "Rechazado al principio (too_many_suspensions); lo confirmó token:mesa-admin."
        ).count()
        == 1
    )
    browsed.screenshot("applied")
    harness.drain()
    created = harness.get_user("1033000111@misena.edu.co")
    assert created is not None
    assert created["name"]["givenName"].upper() == "JOSÉ NÚÑEZ"  # Windows-1252 read as such
    with harness.services.sessions() as session:
        applied = session.scalars(select(AuditEvent).where(AuditEvent.action == "sync.apply")).all()
        assert [(a.actor, (a.details or {}).get("confirm")) for a in applied] == [("token:mesa-admin", 5)]
    assert browsed.blocked == []
