"""The operations pages in real Chromium: release and discard suspensions the brake held (an
admin's decision, as in ``/v1``), retry a dead job (signed in with Google as the help-desk agent) — each
with the audit entry its ``/v1`` twin leaves, the signed-in person as its actor."""

from __future__ import annotations

from datetime import timedelta

from tests.app.console.conftest import AGENT, Console, assert_accessible, follow
from tests.support.browser import PageOpener
from tests.support.events import enrolled, person, status_changed
from tests.support.staff_api import INVALID_INSERT, apprentice, enroll


def _audit(console: Console, action: str) -> list[tuple[str, str | None]]:
    from sqlalchemy import select

    from app.db.models import AuditEvent

    with console.harness.services.sessions() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        return [(row.actor, row.reason) for row in rows]


HELD = ("1044000001", "1044000002", "1044000003")


def test_release_and_discard_held_suspensions(console: Console, open_page: PageOpener) -> None:
    harness = console.harness
    start = harness.clock() - timedelta(days=2)
    people = [person(d, "CC", personal_email=f"p{d}@example.com") for d in HELD]
    for who in people:
        harness.post(enrolled(start, who=who))
    harness.drain()
    for who in people:
        harness.post(status_changed(start + timedelta(hours=1), "CANCELADO", who=who))
    harness.drain()
    harness.clock.advance(days=31)
    harness.sweep()
    harness.drain()  # the brake's limit is 1: one suspended, two held
    browsed = open_page()
    page = browsed.page
    console.sign_in_with_token(page, console.admin_token)
    assert [" ".join(tile.split()) for tile in page.locator(".tile").all_inner_texts()] == [
        "0 trabajos muertos",
        "2 suspensiones retenidas por el freno",
        "0 correos de credenciales esperando un remitente",
        "0 s ha esperado el trabajo vencido más antiguo",
    ]
    browsed.screenshot("dashboard")
    follow(page, page.get_by_role("link", name="Suspensiones retenidas").first)
    boxes = page.get_by_role("checkbox")
    assert boxes.count() == 2
    assert page.locator("tbody a").all_inner_texts() == ["María José Peña de la Torre"] * 2
    boxes.first.check()
    page.get_by_label("Motivo").fill("Verificado con Sofia Plus")
    assert_accessible(page)
    browsed.screenshot("holds")
    page.get_by_role("button", name="Liberar (suspender)").click()
    page.get_by_role("status").filter(has_text="Liberada: se suspende 1 cuenta.").wait_for()
    assert page.get_by_role("checkbox").count() == 1
    page.get_by_role("checkbox").check()
    page.get_by_label("Motivo").fill("El reporte de Sofia Plus venía errado")
    page.get_by_role("button", name="Descartar (mantener activas)").click()
    page.get_by_role("status").filter(has_text="Descartada: 1 cuenta sigue activa.").wait_for()
    assert page.get_by_text("No hay suspensiones retenidas.").count() == 1
    harness.drain()
    suspended = [harness.get_user(f"{d}@misena.edu.co") for d in HELD]
    assert sorted(bool(user and user["suspended"]) for user in suspended) == [False, True, True]
    assert _audit(console, "suspension.release") == [("token:mesa-admin", "Verificado con Sofia Plus")]
    page.get_by_role("link", name="Tablero").click()
    discarded = [d for d, user in zip(HELD, suspended, strict=True) if user and not user["suspended"]]
    page.goto(f"{console.url}/people/{harness.person('CC:' + discarded[0]).id}")
    holds = page.locator(
        "section", has=page.get_by_role("heading", name="Suspensiones retenidas por el freno")
    )
    assert holds.get_by_role("cell", name="Descartada").count() == 1
    assert holds.get_by_role("cell", name="token:mesa-admin").count() == 1
    assert _audit(console, "suspension.discard") == [
        ("token:mesa-admin", "El reporte de Sofia Plus venía errado")
    ]
    assert browsed.blocked == []


def test_retry_a_dead_job(console: Console, open_page: PageOpener) -> None:
    harness = console.harness
    harness.emulator.set_faults([INVALID_INSERT])
    enroll(harness, apprentice("1055000001", "muerto@example.com", "Luis", "Pérez"))
    harness.emulator.clear_faults()
    assert harness.get_user("1055000001@misena.edu.co") is None
    browsed = open_page()
    page = browsed.page
    console.sign_in_with_google(page, *AGENT)
    page.wait_for_url(console.url + "/")
    follow(page, page.get_by_role("link", name="Trabajos muertos").first)
    rows = page.locator("tbody tr")
    assert rows.count() == 1
    assert rows.first.get_by_role("link", name="Luis Pérez").count() == 1
    rows.first.get_by_label("Motivo").fill("Google ya acepta la cuenta")
    assert_accessible(page)
    browsed.screenshot("dead-jobs")
    rows.first.get_by_role("button", name="Reintentar").click()
    page.get_by_role("status").filter(has_text="volvió a la cola").wait_for()
    assert page.get_by_text("No hay trabajos muertos.").count() == 1
    harness.drain()
    assert harness.get_user("1055000001@misena.edu.co") is not None
    assert _audit(console, "job.retry") == [(f"google:{AGENT[0]}", "Google ya acepta la cuenta")]
