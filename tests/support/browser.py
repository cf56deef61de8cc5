"""Pages in a real browser: Debian's Chromium (``/usr/bin/chromium``, which ``make test`` installs)
driven by Playwright, never a browser Playwright downloads.

One headless Chromium per test module that asks for ``open_page`` (launched in well under a
second), shared by that module's tests; each page gets a context of its own (no cookies or storage
shared between tests). Not one per session: while Playwright's sync API is started it keeps an
asyncio loop running on the main thread, and any later test in that process calling
``asyncio.run`` would fail. pytest tears a module's fixtures down before a test of another module
runs (pytest-xdist too), so no other test ever shares the thread with it.

Every request a page makes to a host other than 127.0.0.1 is aborted and recorded, so a test
asserts that nothing left the machine; console errors and uncaught exceptions are recorded too.
Screenshots go to ``var/screenshots/`` (gitignored), named after the test, to be looked at.

Headless Chromium under Playwright fetches no favicon (``<link rel="icon">``, nor any URL ending in
``favicon.ico``), so no page test sees one: check icon links in the HTML itself.

The root conftest registers this module as a plugin.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Route, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parents[2] / "var" / "screenshots"
#: The one host a page may reach (the project's only network target).
LOCAL_HOST = "127.0.0.1"
#: Playwright's default is 30 s per action; a local page that takes 15 s is broken.
TIMEOUT_MS = 15_000


@dataclass
class BrowsedPage:
    """A page and what it did: every request, those blocked on their way off the machine,
    console errors, uncaught exceptions."""

    page: Page
    name: str
    requested: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def screenshot(self, label: str = "", *, full_page: bool = False) -> Path:
        """The viewport (or the whole page) as ``var/screenshots/<test>[-<label>].png``; returns
        its path."""
        path = SCREENSHOTS / (f"{self.name}-{label}.png" if label else f"{self.name}.png")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=path, full_page=full_page)
        return path

    def _route(self, route: Route) -> None:
        self.requested.append(route.request.url)
        if urlsplit(route.request.url).hostname == LOCAL_HOST:
            route.continue_()
            return
        self.blocked.append(route.request.url)
        route.abort("blockedbyclient")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _page_error(self, error: Error) -> None:
        self.page_errors.append(f"{error.name}: {error.message}")


PageOpener = Callable[[], BrowsedPage]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (Debian's package chromium)", pytrace=False)
    with sync_playwright() as playwright:
        # --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium: Browser, request: pytest.FixtureRequest) -> Iterator[PageOpener]:
    """A factory of fresh pages, each in its own browser context, closed after the test."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    contexts = []

    def open_() -> BrowsedPage:
        # Service workers could fetch past the router; none may run.
        context = chromium.new_context(service_workers="block", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        browsed = BrowsedPage(page, name)
        context.route("**/*", browsed._route)
        page.on("console", browsed._console)
        page.on("pageerror", browsed._page_error)
        return browsed

    yield open_
    for context in contexts:
        context.close()
