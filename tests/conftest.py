"""Shared fixtures: one emulator per test process, on a real loopback socket, reset per test.

The fixtures every suite may ask for live in :mod:`tests.support` and are registered here,
once, as plugins (pytest only honours ``pytest_plugins`` in the root conftest): the parametrized
``database_url`` (SQLite and PostgreSQL), the whole-service harness and the browser.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

from app.logging_setup import configure_logging
from tests.support.google import google_service
from workspace.emulator.config import EmulatorConfig
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import EmulatorServer
from workspace.google_session import GoogleConnection


def pytest_configure(config: pytest.Config) -> None:
    """Log as the service does (JSON lines), to the process's real stderr.

    Services run inside the test process beside Typer's ``CliRunner``, which swaps
    ``sys.stdout`` and ``sys.stderr`` while a command runs: unconfigured, structlog would print
    the service's request lines into the command's captured output. pytest still captures the
    real stderr (file descriptor 2) and shows it beside a failure.
    """
    configure_logging("INFO", stream=sys.__stderr__)


pytest_plugins = ["tests.support.databases", "tests.support.harness", "tests.support.browser"]

#: Google's limits, but Gmail's per-sender rate (150 a minute) raised to 10 a second: the suite's
#: one sender mails hundreds of people in seconds. Tests of that limit set it themselves.
TEST_LIMITS = EmulatorConfig(gmail_sends_per_minute=600)


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    server = EmulatorServer(TEST_LIMITS.model_copy()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def key_info(emulator_server: EmulatorServer) -> dict[str, Any]:
    return emulator_server.issue_key()


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> Iterator[EmulatorControl]:
    """The control plane, with the tenant reset to new and Google's limits on (``TEST_LIMITS``)."""
    control = EmulatorControl(emulator_server.base_url)
    control.reset(TEST_LIMITS.model_copy())
    yield control
    control.close()


@pytest.fixture
def connection(emulator_server: EmulatorServer, key_info: dict[str, Any]) -> GoogleConnection:
    return GoogleConnection(key_info=key_info, api_endpoint=emulator_server.base_url)


@pytest.fixture
def admin_sdk(emulator: EmulatorControl, emulator_server: EmulatorServer, key_info: dict[str, Any]) -> Any:
    """``admin directory_v1`` as the super admin, through the real client library."""
    return google_service(emulator_server, key_info, "admin", "directory_v1")
