"""The browser fixture the page tests rely on (``tests/support/browser.py``): it must block what
would leave 127.0.0.1 and report what went wrong, or a page test passing would mean nothing."""

from __future__ import annotations

from tests.support.browser import SCREENSHOTS, PageOpener
from workspace.emulator.server import EmulatorServer

#: Not 127.0.0.1, so blocked; were the block broken, the request would still stay on loopback.
OFF_HOST = "http://localhost:9/logo.png"


def test_a_page_reaches_127_0_0_1_and_nothing_else(
    open_page: PageOpener, emulator_server: EmulatorServer
) -> None:
    browsed = open_page()
    local = emulator_server.base_url + "logo.png"  # a 404, but a request that went through
    browsed.page.set_content(f'<img src="{OFF_HOST}"><img src="{local}">')
    assert browsed.blocked == [OFF_HOST]
    assert set(browsed.requested) == {OFF_HOST, local}
    # Chromium reports the blocked image as a failed load.
    assert any("ERR_BLOCKED_BY_CLIENT" in error for error in browsed.console_errors)


def test_console_errors_and_uncaught_exceptions_are_recorded(open_page: PageOpener) -> None:
    browsed = open_page()
    browsed.page.set_content(
        "<script>console.error('seen'); console.log('not an error')</script>"
        "<script>throw new TypeError('uncaught')</script>"
    )
    assert browsed.console_errors == ["seen"]
    assert browsed.page_errors == ["TypeError: uncaught"]
    assert browsed.blocked == []


def test_a_screenshot_is_named_after_the_test(open_page: PageOpener) -> None:
    browsed = open_page()
    browsed.page.set_content("<h1>misena</h1>")
    path = browsed.screenshot("heading")
    assert path == SCREENSHOTS / "test_a_screenshot_is_named_after_the_test-heading.png"
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
