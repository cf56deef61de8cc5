"""What the CLI suites share: ``misena`` run in this process against a real service, with a
profiles file of its own, and the checks every failure must pass (one Spanish line, no
traceback, the documented exit code)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli.main import cli
from tests.support.staff_api import shared

__all__ = ["shared"]

Run = Callable[..., Result]


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A profiles file of this test's own (``MISENA_CONFIG``), no overrides from the machine."""
    path = tmp_path / "misena" / "config.toml"
    monkeypatch.setenv("MISENA_CONFIG", str(path))
    for variable in ("MISENA_URL", "MISENA_TOKEN", "MISENA_PROFILE", "COLUMNS"):
        monkeypatch.delenv(variable, raising=False)
    return path


@pytest.fixture
def misena(config_file: Path) -> Run:
    """``misena ...`` as a person types it (output not a terminal, as when piped)."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args))

    return invoke


def refused_with(result: Result, code: int) -> str:
    """The command failed with ``code``, told in one line on stderr, with no traceback."""
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def closed_port_url() -> str:
    """An address on this machine where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
