"""IT staff API helpers: tokens with chosen scopes and an authenticated client on the harness."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import structlog

from app.cli.plumbing import cli_clock
from app.staff.tokens import Scope, issue_token
from tests.support.harness import Harness


@dataclass
class StaffClient:
    harness: Harness
    token: str

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(self.harness.base_url + path.lstrip("/"), params=params, headers=self._headers())

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return httpx.post(self.harness.base_url + path.lstrip("/"), json=body or {}, headers=self._headers())


def staff_client(harness: Harness, *scopes: Scope, name: str = "mesa-de-ayuda") -> StaffClient:
    issued = issue_token(
        harness.services.sessions, name, scopes or (Scope.ADMIN,), created_by="test", clock=harness.clock
    )
    return StaffClient(harness, issued.token)


@contextmanager
def cli_environment(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``misena`` at a terminal pointed at the harness's database and the emulator; the logging
    the commands configure (to stderr) is put back afterwards."""
    settings = harness.services.settings
    monkeypatch.setenv("MISENA_DEMO_MODE", "true")
    monkeypatch.setenv("MISENA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MISENA_GOOGLE_KEY_FILE", str(settings.google_key_file))
    monkeypatch.setenv("MISENA_GOOGLE_API_ENDPOINT", str(settings.google_api_endpoint))
    monkeypatch.setenv("MISENA_GOOGLE_ADMIN", settings.google_admin)
    monkeypatch.setattr(cli_clock, "source", harness.clock)  # the commands read the service's time
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        structlog.configure(**saved)
        root.handlers[:] = handlers
        root.setLevel(level)
