"""IT staff API helpers: tokens with chosen scopes and an authenticated client on the harness."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from typer.testing import CliRunner, Result

from app.cli.main import cli
from app.cli.server_side import cli_clock, logs_to_stderr
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
def cli_environment(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Iterator[StaffClient]:
    """``misena`` at a terminal pointed at the harness: the staff commands at its API with an
    admin token (``MISENA_URL``/``MISENA_TOKEN``, no profiles file), the server-side ones at its
    database; the service's logs go to stderr, warnings up, and are put back afterwards. Yields the
    token's client (its audit actor is ``token:cli``)."""
    settings = harness.services.settings
    client = staff_client(harness, Scope.ADMIN, name="cli")
    monkeypatch.setenv("MISENA_CONFIG", str(Path(tempfile.mkdtemp(prefix="misena-cli-")) / "config.toml"))
    monkeypatch.setenv("MISENA_URL", harness.base_url)
    monkeypatch.setenv("MISENA_TOKEN", client.token)
    monkeypatch.delenv("MISENA_PROFILE", raising=False)
    monkeypatch.setenv("MISENA_DATABASE_URL", settings.database_url)
    monkeypatch.setattr(cli_clock, "source", harness.clock)  # server-side commands read its time
    with service_logs_to_stderr():
        yield client


@contextmanager
def service_logs_to_stderr() -> Iterator[None]:
    """A service running in this process logs to stderr, warnings up, while a command's stdout
    is read (its log lines must not land in a table or in ``--json``); put back afterwards."""
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    logs_to_stderr()
    try:
        yield
    finally:
        structlog.configure(**saved)
        root.handlers[:] = handlers
        root.setLevel(level)


@pytest.fixture
def staff_cli(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    """``misena ...`` at a wide terminal against the harness (:func:`cli_environment`)."""
    monkeypatch.setenv("COLUMNS", "250")
    runner = CliRunner()
    with cli_environment(harness, monkeypatch):
        yield lambda *args: runner.invoke(cli, list(args))
