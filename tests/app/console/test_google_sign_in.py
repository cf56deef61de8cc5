"""Signing in to the console with Google through the emulator's OpenID Connect provider, in real
Chromium: staff of the domain on a role's list or in its group come in with that role's scopes;
someone of the domain on no list, a personal Google account (no ``hd``) and a forged callback
are refused."""

from __future__ import annotations

from tests.app.console.conftest import AGENT, OUTSIDER, READER, STRANGER, Console, assert_accessible
from tests.support.browser import PageOpener


def test_staff_in_the_group_sign_in_with_google_and_get_its_scopes(
    console: Console, open_page: PageOpener
) -> None:
    browsed = open_page()
    page = browsed.page
    page.goto(console.url + "/sign-in")
    assert_accessible(page)
    browsed.screenshot("sign-in")
    page.get_by_role("link", name="Iniciar sesión con Google").click()
    assert page.url.startswith(console.harness.emulator_server.base_url + "o/oauth2/v2/auth?")
    assert "code_challenge=" in page.url
    assert "nonce=" in page.url
    browsed.screenshot("google-form")
    page.get_by_label("Correo electrónico").fill(AGENT[0])
    page.get_by_label("Contraseña").fill(AGENT[1])
    page.get_by_role("button", name="Siguiente").click()
    page.wait_for_url(console.url + "/")
    page.get_by_role("status").filter(has_text=f"Sesión iniciada como {AGENT[0]}").wait_for()
    permissions = "accounts:read, accounts:write, jobs:write, sync:run"
    assert page.get_by_text(f"Sesión de {AGENT[0]}, con los permisos: {permissions}.").count() == 1
    assert page.get_by_role("link", name="Sincronizaciones").count() == 1
    assert browsed.blocked == []
    assert browsed.page_errors == []


def test_a_listed_reader_signs_in_read_only(console: Console, open_page: PageOpener) -> None:
    browsed = open_page()
    console.sign_in_with_google(browsed.page, *READER)
    browsed.page.wait_for_url(console.url + "/")
    assert browsed.page.get_by_text(f"Sesión de {READER[0]}, con los permisos: accounts:read.").count() == 1
    assert browsed.page.get_by_role("link", name="Sincronizaciones").count() == 0


def test_a_wrong_password_stays_on_googles_form(console: Console, open_page: PageOpener) -> None:
    browsed = open_page()
    console.sign_in_with_google(browsed.page, AGENT[0], "not-the-password")
    browsed.page.get_by_role("alert").filter(has_text="Correo o contraseña incorrectos").wait_for()
    assert browsed.page.url.startswith(console.harness.emulator_server.base_url)


def test_refused_outside_the_list_and_outside_the_domain(console: Console, open_page: PageOpener) -> None:
    browsed = open_page()
    page = browsed.page
    console.sign_in_with_google(page, *STRANGER)
    page.get_by_role("alert").filter(has_text="no está en la lista del personal").wait_for()
    browsed.screenshot("refused-not-listed")
    page.goto(console.url + "/")
    assert page.url.startswith(console.url + "/sign-in")  # no session was made
    other = open_page()
    console.sign_in_with_google(other.page, *OUTSIDER)
    other.page.get_by_role("alert").filter(has_text="Solo las cuentas de misena.edu.co").wait_for()
    other.page.goto(console.url + "/people")
    assert other.page.url.startswith(console.url + "/sign-in")


def test_a_callback_with_a_forged_state_is_refused(console: Console, open_page: PageOpener) -> None:
    browsed = open_page()
    page = browsed.page
    page.goto(console.url + "/sign-in")
    answer = page.goto(console.url + "/auth/google/callback?code=made-up&state=forged")
    assert answer is not None
    assert answer.status == 401
    assert page.get_by_role("alert").filter(has_text="falló").count() == 1
