"""What the CLI suites check of a failed command: one Spanish line on stderr, no traceback, the
documented exit code (``app/cli/plumbing.py``); and an address where nothing listens."""

from __future__ import annotations

import socket
from collections.abc import Callable

from typer.testing import Result

Run = Callable[..., Result]


def refused_with(result: Result, code: int) -> str:
    """The command failed with ``code``, told in one line on stderr, with no traceback."""
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def closed_port_url() -> str:
    """An address on this machine where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
