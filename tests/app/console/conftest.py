"""One console per test module: the service over real HTTP (SQLite, a frozen clock, the worker
driven step by step), the emulator as Google (Directory, Gmail, and its OpenID Connect sign-in),
staff who may sign in, and pages in real Chromium (``tests/support/browser.py``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page

from app.clock import FrozenClock
from app.db.engine import make_engine
from app.db.migrate import upgrade
from app.http.main import create_app
from app.runtime.services import build_services
from app.staff.tokens import Scope, issue_token
from sofia_sync.policy import SOFIA_SCHEMA_DEFINITION
from tests.support.harness import SENDER, Harness, service_settings
from workspace.emulator.config import EmulatorConfig
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import BackgroundServer, EmulatorServer

DOMAIN = "misena.edu.co"
CLIENT_ID = "misena-console-test.apps.googleusercontent.com"
CLIENT_SECRET = "console-client-secret-for-tests"
#: Staff of the Workspace tenant: the help-desk agent (by group), a read-only colleague (by
#: list), someone of the domain on no list, and an account of another domain.
AGENT = ("ana.agente@misena.edu.co", "Agente-Clave-2026")
READER = ("rita.lectora@misena.edu.co", "Lectora-Clave-2026")
STRANGER = ("pedro.ajeno@misena.edu.co", "Ajeno-Clave-2026")
OUTSIDER = ("olga.personal@gmail.com", "Personal-Clave-2026")  # a personal Google account: no hd
HELP_DESK_GROUP = "mesa-de-ayuda@misena.edu.co"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Console:
    harness: Harness
    admin_token: str
    reader_token: str

    @property
    def url(self) -> str:
        return self.harness.base_url + "console"

    def sign_in_with_token(self, page: Page, token: str) -> None:
        page.goto(self.url + "/sign-in")
        page.get_by_label("Token de API").fill(token)
        page.get_by_role("button", name="Iniciar sesión").click()
        page.wait_for_url(self.url + "/")

    def sign_in_with_google(self, page: Page, address: str, password: str) -> None:
        """Through the emulator's Google sign-in form, as a person would."""
        page.goto(self.url + "/sign-in")
        page.get_by_role("link", name="Iniciar sesión con Google").click()
        page.get_by_label("Correo electrónico").fill(address)
        page.get_by_label("Contraseña").fill(password)
        page.get_by_role("button", name="Siguiente").click()


def _staff_user(address: str, password: str, given: str) -> dict[str, Any]:
    return {"primaryEmail": address, "name": {"givenName": given, "familyName": "SENA"}, "password": password}


@contextmanager
def serving_console(
    emulator_server: EmulatorServer, key_info: dict[str, Any], directory: Path, database: str | None = None
) -> Iterator[Console]:
    """The service with the console (on SQLite unless ``database`` is given), the emulator's
    tenant reset and seeded with staff, a group, an OIDC client and a personal account."""
    key_file = directory / "service-account.json"
    key_file.write_text(json.dumps(key_info), encoding="utf-8")
    control = EmulatorControl(emulator_server.base_url)
    control.reset(EmulatorConfig(gmail_sends_per_minute=600))
    control.seed(
        schemas=[SOFIA_SCHEMA_DEFINITION],
        users=[
            _staff_user(SENDER, "Sender-Password-2026", "Notificaciones"),
            *(_staff_user(a, p, a.split(".")[0].title()) for a, p in (AGENT, READER, STRANGER)),
        ],
        groups=[{"email": HELP_DESK_GROUP, "name": "Mesa de ayuda"}],
    )
    _add_member(emulator_server, key_info, HELP_DESK_GROUP, AGENT[0])
    for path, body in (
        ("oidc/clients", {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}),
        ("oidc/personal-accounts", {"email": OUTSIDER[0], "password": OUTSIDER[1]}),
    ):
        httpx.post(f"{emulator_server.base_url}_emulator/{path}", json=body, timeout=10).raise_for_status()
    roles = [
        {"scopes": ["accounts:read", "accounts:write", "jobs:write", "sync:run"], "group": HELP_DESK_GROUP},
        {"scopes": ["accounts:read"], "emails": [READER[0]]},
    ]
    url = database or f"sqlite:///{directory / 'misena.db'}"
    engine = make_engine(url)
    upgrade(engine)
    clock = FrozenClock()
    settings = service_settings(
        url, key_file, emulator_server.base_url, brake={"limit": 1, "window_seconds": 3600}
    )
    services = build_services(settings, engine=engine, clock=clock)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "GOOGLE_ISSUER": emulator_server.base_url.rstrip("/"),
            "GOOGLE_CLIENT_ID": CLIENT_ID,
            "GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
            "GOOGLE_DOMAIN": DOMAIN,
            "ROLES": json.dumps(roles),
        }.items():
            patch.setenv(f"MISENA_CONSOLE_{name}", value)
        app = create_app(services)
    server = BackgroundServer(app, name="misena-console")
    server.start()
    admin = issue_token(services.sessions, "mesa-admin", [Scope.ADMIN], created_by="test", clock=clock)
    reader = issue_token(
        services.sessions, "mesa-lectura", [Scope.ACCOUNTS_READ], created_by="test", clock=clock
    )
    harness = Harness(services, server.base_url, control, emulator_server, key_info, clock)
    try:
        yield Console(harness, admin.token, reader.token)
    finally:
        server.stop()
        engine.dispose()
        control.close()


@pytest.fixture(scope="module")
def console(
    emulator_server: EmulatorServer, key_info: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Console]:
    with serving_console(emulator_server, key_info, tmp_path_factory.mktemp("console")) as served:
        yield served


def _add_member(server: EmulatorServer, key: dict[str, Any], group: str, address: str) -> None:
    from tests.support.google import google_service

    admin = google_service(server, key, "admin", "directory_v1")
    admin.members().insert(groupKey=group, body={"email": address, "role": "MEMBER"}).execute()


#: Every visible form control has a label (or an aria-label), every button a name, the page is in
#: Spanish and nothing overflows a 1280-pixel-wide screen.
_ACCESSIBILITY = """() => {
  const problems = [];
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    const labelled = (el.labels && el.labels.length) || el.getAttribute("aria-label");
    if (!labelled) problems.push("unlabelled " + el.name);
  }
  for (const el of document.querySelectorAll("button, a")) {
    if (!el.textContent.trim() && !el.getAttribute("aria-label")) problems.push("nameless " + el.tagName);
  }
  if (document.documentElement.lang !== "es") problems.push("lang " + document.documentElement.lang);
  if (document.documentElement.scrollWidth > 1280) problems.push("wider than 1280px");
  return problems;
}"""


def follow(page: Page, target: Locator) -> None:
    """Click a link or submit button and wait for the page it leads to. A bare click returns
    before the next page is parsed, so a count taken at once reads the page before (failed
    once in CI: 0 search results where the answer held 1)."""
    with page.expect_navigation():
        target.click()


def assert_accessible(page: Page) -> None:
    """Labels, names, language and width, as the page is now."""
    assert page.evaluate(_ACCESSIBILITY) == []


def assert_keyboard_first_reaches_the_skip_link(page: Page) -> None:
    """On a page just loaded: Tab focuses "skip to content" first, and it moves focus to main."""
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def csrf_of(page: Page) -> str:
    found = CSRF_INPUT.search(page.content())
    assert found is not None, "the page has no CSRF field"
    return found.group(1)
