"""The help-desk path in real Chromium, signed in with a staff API token: find a person (document
with separators, a name typed without its accents), see their page, act with a reason — and the
same audit entries, Google state and emails as the API's twins leave; CSRF and scopes enforced."""

from __future__ import annotations

import pytest

from tests.app.console.conftest import (
    Console,
    assert_accessible,
    assert_keyboard_first_reaches_the_skip_link,
    csrf_of,
    follow,
)
from tests.support.browser import BrowsedPage, PageOpener
from tests.support.service_process import PASSWORD_LINE
from tests.support.staff_api import apprentice, enroll, person_id

DOCUMENT = "1023456789"
KEY = f"CC:{DOCUMENT}"
PERSONAL = "majo.munoz@example.com"


@pytest.fixture(scope="module")
def enrolled(console: Console) -> Console:
    enroll(console.harness, apprentice(DOCUMENT, PERSONAL, "María José", "Muñoz Peña"))
    enroll(console.harness, apprentice("1023456790", "otro@example.com", "Carlos", "Rodríguez"))
    return console


def _stayed_local(browsed: BrowsedPage) -> None:
    assert browsed.blocked == []
    assert browsed.console_errors == []
    assert browsed.page_errors == []


def _person_page(console: Console, open_page: PageOpener, token: str) -> BrowsedPage:
    browsed = open_page()
    console.sign_in_with_token(browsed.page, token)
    browsed.page.goto(f"{console.url}/people/{person_id(console.harness, KEY)}")
    return browsed


def test_find_by_document_with_separators_and_by_a_name_without_accents(
    enrolled: Console, open_page: PageOpener
) -> None:
    browsed = open_page()
    page = browsed.page
    enrolled.sign_in_with_token(page, enrolled.admin_token)
    assert_keyboard_first_reaches_the_skip_link(page)
    assert_accessible(page)
    browsed.screenshot("dashboard")
    page.get_by_role("link", name="Personas").click()
    for typed in ("1.023.456.789", "1 023 456 789"):
        page.get_by_label("Número de documento").fill(typed)
        follow(page, page.get_by_role("button", name="Buscar"))
        assert page.get_by_role("link", name="María José Muñoz Peña").count() == 1
        assert page.get_by_text("Carlos").count() == 0
    page.get_by_label("Número de documento").fill("")
    page.get_by_label("Nombre o apellido").fill("munoz pena")
    follow(page, page.get_by_role("button", name="Buscar"))
    assert_accessible(page)
    browsed.screenshot("search")
    page.get_by_role("link", name="María José Muñoz Peña").click()
    page.get_by_role("heading", name="Por qué está en este estado").wait_for()
    google_now = page.locator("section", has=page.get_by_role("heading", name="La cuenta en Google ahora"))
    assert google_now.get_by_text(f"{DOCUMENT}@misena.edu.co").count() == 1  # read from Google now
    assert google_now.get_by_text("/Aprendices").count() == 1
    assert_accessible(page)
    browsed.screenshot("person")
    _stayed_local(browsed)


def test_resend_credentials_gives_a_password_that_works_and_the_old_one_stops(
    enrolled: Console, open_page: PageOpener
) -> None:
    harness = enrolled.harness
    account = f"{DOCUMENT}@misena.edu.co"
    old = _passwords(enrolled)[-1]
    assert harness.emulator.password_valid(account, old)
    browsed = _person_page(enrolled, open_page, enrolled.admin_token)
    page = browsed.page
    page.locator("#reason-resend-credentials").fill("Llamada 018000: no recibió la contraseña")
    page.get_by_role("button", name="Reenviar credenciales").click()
    page.get_by_role("status").filter(has_text="Se pidieron credenciales nuevas").wait_for()
    harness.drain()
    new = _passwords(enrolled)[-1]
    assert new != old
    assert harness.emulator.password_valid(account, new)
    assert not harness.emulator.password_valid(account, old)
    page.reload()
    assert page.get_by_role("cell", name="person.resend_credentials").count() == 1
    assert page.get_by_role("cell", name="token:mesa-admin").count() >= 1
    _stayed_local(browsed)


def _passwords(console: Console) -> list[str]:
    found = []
    for message in console.harness.mail_to(PERSONAL):
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        match = PASSWORD_LINE.search(body.get_content())
        assert match is not None
        found.append(match.group(1))
    return list(reversed(found))  # Gmail lists newest first


def test_suspend_with_a_reason_and_unsuspend(enrolled: Console, open_page: PageOpener) -> None:
    harness = enrolled.harness
    account = f"{DOCUMENT}@misena.edu.co"
    browsed = _person_page(enrolled, open_page, enrolled.admin_token)
    page = browsed.page
    page.locator("#reason-suspend").fill("ab")
    page.get_by_role("button", name="Suspender", exact=True).click()  # the browser refuses: too short
    assert page.locator("#reason-suspend:invalid").count() == 1
    page.locator("#reason-suspend").fill("Uso indebido reportado, ticket 4711")
    page.get_by_role("button", name="Suspender", exact=True).click()
    page.get_by_role("status").filter(has_text="Suspensión registrada").wait_for()
    harness.drain()
    user = harness.get_user(account)
    assert user is not None
    assert user["suspended"] is True
    page.reload()
    assert page.get_by_text("Uso indebido reportado, ticket 4711").count() >= 1
    browsed.screenshot("suspended", full_page=True)
    page.locator("#reason-unsuspend").fill("Revisado con coordinación")
    page.get_by_role("button", name="Levantar la suspensión").click()
    page.get_by_role("status").filter(has_text="Suspensión levantada").wait_for()
    harness.drain()
    user = harness.get_user(account)
    assert user is not None
    assert user["suspended"] is False
    _stayed_local(browsed)


def test_a_form_posted_without_the_csrf_token_is_refused(enrolled: Console, open_page: PageOpener) -> None:
    browsed = _person_page(enrolled, open_page, enrolled.admin_token)
    page = browsed.page
    target = f"{enrolled.url}/people/{person_id(enrolled.harness, KEY)}/reconcile"
    before = enrolled.harness.drain()
    for form in ({"reason": "sin token de seguridad"}, {"reason": "otro", "csrf_token": "forged"}):
        answer = page.request.post(target, form=form, max_redirects=0)
        assert answer.status == 403
        assert "código de seguridad" in answer.text()
    assert enrolled.harness.drain() == before == 0  # nothing was queued
    page.goto(target.removesuffix("/reconcile"))
    ok = page.request.post(target, form={"reason": "con token", "csrf_token": csrf_of(page)}, max_redirects=0)
    assert ok.status == 303
    assert enrolled.harness.drain() == 1


def test_read_only_staff_see_no_write_buttons_and_get_403_posting_anyway(
    enrolled: Console, open_page: PageOpener
) -> None:
    browsed = _person_page(enrolled, open_page, enrolled.reader_token)
    page = browsed.page
    page.get_by_role("heading", name="Registro de Sofia Plus").wait_for()
    assert page.get_by_role("heading", name="Acciones").count() == 0
    assert page.locator("main form").count() == 0
    browsed.screenshot("read-only", full_page=True)
    target = f"{enrolled.url}/people/{person_id(enrolled.harness, KEY)}/suspend"
    answer = page.request.post(
        target, form={"reason": "intento", "csrf_token": csrf_of(page)}, max_redirects=0
    )
    assert answer.status == 403
    assert "accounts:write" in answer.text()
    assert enrolled.harness.person(KEY).staff_suspended is False
    assert browsed.console_errors == []
    page.goto(f"{enrolled.url}/sync")  # sync:run: a page this staff member may not open
    assert page.get_by_role("heading", name="No se pudo hacer").count() == 1
    assert browsed.console_errors == [
        "Failed to load resource: the server responded with a status of 403 (Forbidden)"
    ]
