"""``misena --version``: what an IT person pastes into a support request."""

from __future__ import annotations

from importlib.metadata import version

from typer.testing import CliRunner

from app.cli.main import cli


def test_version_prints_the_installed_version_and_exits() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"misena {version('misena')}"
