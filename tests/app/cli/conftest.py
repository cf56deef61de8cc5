"""The CLI suites' fixtures: ``misena`` run in this process against a real service, with a
profiles file of its own (the checks of a failure are in ``tests/support/cli_runs.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli.main import cli
from tests.support.cli_runs import Run
from tests.support.staff_api import shared
from tests.support.staff_client import service_logs_to_stderr

__all__ = ["shared"]


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A profiles file of this test's own (``MISENA_CONFIG``), no overrides from the machine."""
    path = tmp_path / "misena" / "config.toml"
    monkeypatch.setenv("MISENA_CONFIG", str(path))
    for variable in ("MISENA_URL", "MISENA_TOKEN", "MISENA_PROFILE", "COLUMNS"):
        monkeypatch.delenv(variable, raising=False)
    return path


@pytest.fixture
def misena(config_file: Path) -> Iterator[Run]:
    """``misena ...`` as a person types it (output not a terminal, as when piped); a service
    this process runs logs to stderr meanwhile."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args))

    with service_logs_to_stderr():
        yield invoke
