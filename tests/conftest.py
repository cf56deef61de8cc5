"""Shared fixtures: one emulator per test process, on a real loopback socket, reset per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.oauth2 import service_account
from googleapiclient.discovery import build

from workspace.emulator.config import EmulatorConfig
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import EmulatorServer
from workspace.google_session import GoogleConnection

ADMIN = "admin@misena.edu.co"
DOMAIN = "misena.edu.co"
SCOPE = "https://www.googleapis.com/auth/"


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    server = EmulatorServer(EmulatorConfig()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def key_info(emulator_server: EmulatorServer) -> dict[str, Any]:
    return emulator_server.issue_key()


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> Iterator[EmulatorControl]:
    """The control plane, with the tenant reset to new and Google's default limits on."""
    control = EmulatorControl(emulator_server.base_url)
    control.reset(EmulatorConfig())
    yield control
    control.close()


@pytest.fixture
def connection(emulator_server: EmulatorServer, key_info: dict[str, Any]) -> GoogleConnection:
    return GoogleConnection(key_info=key_info, api_endpoint=emulator_server.base_url)


def google_service(
    server: EmulatorServer,
    key: dict[str, Any],
    api: str,
    version: str,
    *,
    subject: str = ADMIN,
    scopes: list[str] | None = None,
) -> Any:
    """The unmodified google-api-python-client, pointed at the emulator."""
    wanted = scopes or [
        SCOPE + "admin.directory.user",
        SCOPE + "admin.directory.orgunit",
        SCOPE + "admin.directory.group",
        SCOPE + "admin.directory.userschema",
    ]
    credentials = service_account.Credentials.from_service_account_info(key, scopes=wanted)
    return build(
        api,
        version,
        credentials=credentials.with_subject(subject),
        client_options={"api_endpoint": server.base_url},
        static_discovery=True,
        cache_discovery=False,
    )


@pytest.fixture
def admin_sdk(emulator: EmulatorControl, emulator_server: EmulatorServer, key_info: dict[str, Any]) -> Any:
    """``admin directory_v1`` as the super admin, through the real client library."""
    return google_service(emulator_server, key_info, "admin", "directory_v1")
