"""Fault suites: the whole service with a fault injected for real (Google errors, killed
processes, an unreachable database, hostile input). They reuse the service harness.

Every test here logs as production does (JSON lines, :func:`app.logging_setup.configure_logging`)
into a file, and afterwards that file and every ``*.log`` the test's processes wrote are
searched for what must never be logged: the webhook secret, a full document number, a personal
email address. Faults are where error paths run, and error paths are where data leaks.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from app.logging_setup import configure_logging
from tests.support.harness import ROTATED_SECRET, SECRET

#: What a log line must never hold: the secrets (and their key material), the documents and
#: personal addresses the suites enrol (tests/support/service_process.py, tests/support/harness.py).
LEAKS = {
    "webhook secret": re.compile(
        "|".join(re.escape(s.removeprefix("whsec_")) for s in (SECRET, ROTATED_SECRET))
    ),
    "document number": re.compile(r"(?<![\d*])(?:1030\d{6}|1098765432)(?!\d)"),
    "personal email": re.compile(r"[\w.+-]+@example\.com"),
}


def leaks_in(text: str) -> list[str]:
    return [name for name, pattern in LEAKS.items() if pattern.search(text)]


@pytest.fixture(autouse=True)
def production_logs(tmp_path: Path) -> Iterator[Path]:
    """The test's own log file; checked for leaks, with its processes' logs, at teardown."""
    path = tmp_path / "service.log"
    saved = structlog.get_config()
    with path.open("w", encoding="utf-8") as stream:
        configure_logging(stream=stream)
        try:
            yield path
        finally:
            structlog.configure(**saved)
            logging.basicConfig(stream=sys.stderr, force=True)
    found = {
        str(log.relative_to(tmp_path)): leaks_in(log.read_text("utf-8", errors="replace"))
        for log in tmp_path.rglob("*.log")
    }
    assert not {name: kinds for name, kinds in found.items() if kinds}, f"logs leak personal data: {found}"
