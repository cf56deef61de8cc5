"""``/docs`` and ``/redoc`` work without internet: a real ``misena serve`` process, the pages in
real Chromium with every request off 127.0.0.1 blocked, and no HTML the app serves naming
another host."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from app.http.main import create_app
from app.runtime.services import build_services
from app.settings import Settings
from tests.support.browser import BrowsedPage, PageOpener
from tests.support.harness import Harness
from tests.support.service_process import serving
from workspace.emulator.server import BackgroundServer, EmulatorServer


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory, emulator_server: EmulatorServer, key_info: dict[str, Any]
) -> Iterator[str]:
    """A real ``misena serve`` (SQLite, migrated at start); its base URL."""
    directory = tmp_path_factory.mktemp("docs")
    key_file = directory / "key.json"
    key_file.write_text(json.dumps(key_info), encoding="utf-8")
    database = f"sqlite:///{directory / 'misena.db'}"
    with serving(database, key_file, emulator_server.base_url, directory / "serve.log") as base:
        yield base


def _assert_stayed_local(browsed: BrowsedPage) -> None:
    assert browsed.blocked == [], "requests left 127.0.0.1"
    assert browsed.console_errors == []
    assert browsed.page_errors == []


def test_swagger_ui_renders_the_operations_offline(service: str, open_page: PageOpener) -> None:
    browsed = open_page()
    page = browsed.page
    page.goto(service + "docs")
    summaries = page.locator(".opblock-summary")
    summaries.filter(has_text="/webhooks/sofia-plus").first.wait_for()
    assert summaries.filter(has_text="/v1/people").count() >= 1
    assert page.locator(".opblock-post", has_text="/webhooks/sofia-plus").count() == 1
    # OpenAPI 3.1's webhooks section, with the event Sofia Plus sends.
    assert page.get_by_text("Webhooks", exact=True).count() >= 1
    assert page.locator(".opblock", has_text="sofia-plus").count() >= 2
    # An operation opens, with its parameters and the way to try it.
    page.locator(".opblock-summary", has_text="/v1/people").first.click()
    page.get_by_role("button", name="Try it out").first.wait_for()
    browsed.screenshot()
    _assert_stayed_local(browsed)
    assert any(url.endswith("/docs/assets/swagger-ui-bundle.js") for url in browsed.requested)


def test_redoc_renders_its_menu_and_operations_offline(service: str, open_page: PageOpener) -> None:
    browsed = open_page()
    page = browsed.page
    page.goto(service + "redoc")
    title = "Receive a Sofia Plus event (Standard Webhooks signature)"
    page.get_by_role("heading", name=title).wait_for()
    menu = page.locator(".menu-content")
    assert menu.get_by_text(title).count() == 1
    assert menu.get_by_text("webhooks", exact=True).count() >= 1
    browsed.screenshot()
    _assert_stayed_local(browsed)
    assert any(url.endswith("/docs/assets/redoc.standalone.js") for url in browsed.requested)


#: An absolute URL's host, or a protocol-relative one's in an attribute or CSS ``url()``.
_ABSOLUTE = re.compile(r"https?://([^/\s\"'<>`?#]+)", re.IGNORECASE)
_RELATIVE_TO_PROTOCOL = re.compile(
    r"""(?:\b(?:src|href|action)\s*=\s*["']?|url\(\s*["']?)//([^/\s"'<>`?#)]+)""", re.I
)


def _unparametrized_get_paths() -> list[str]:
    """Every GET path of the app that takes no path parameter: the pages one can open as is."""
    app = create_app(build_services(Settings(demo_mode=True, database_url="sqlite://")))
    return sorted(
        route.path
        for route in app.routes
        if isinstance(route, APIRoute) and "GET" in route.methods and "{" not in route.path
    )


def test_no_html_the_app_serves_names_another_host(service: str) -> None:
    own = httpx.URL(service).netloc.decode()
    pages: dict[str, set[str]] = {}
    with httpx.Client(base_url=service, timeout=10) as client:
        for path in _unparametrized_get_paths():
            response = client.get(path)
            if response.headers.get("content-type", "").startswith("text/html"):
                html = response.text
                hosts = {*_ABSOLUTE.findall(html), *_RELATIVE_TO_PROTOCOL.findall(html)}
                pages[path] = {host.lower() for host in hosts} - {own}
    assert {"/docs", "/redoc"} <= set(pages), f"HTML pages found: {sorted(pages)}"
    assert {path: hosts for path, hosts in pages.items() if hosts} == {}


def test_the_docs_are_served_while_the_schema_is_behind(harness: Harness) -> None:
    """Outside the schema gate: a process waiting for ``misena migrate`` still shows its API."""
    with harness.services.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0001_initial'")
    services = build_services(harness.services.settings, engine=harness.services.engine)
    server = BackgroundServer(create_app(services), name="misena-behind")
    server.start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            gated = client.get("v1/people")
            answers = {
                path: client.get(path).status_code
                for path in ("docs", "redoc", "openapi.json", "docs/assets/swagger-ui-bundle.js",
                             "docs/assets/swagger-ui.css", "docs/assets/redoc.standalone.js",
                             "docs/assets/favicon.png")
            }  # fmt: skip
    finally:
        server.stop()
    assert gated.status_code == 503, "the schema gate is not on: this test proves nothing"
    assert set(answers.values()) == {200}, answers
