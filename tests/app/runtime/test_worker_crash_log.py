"""``serve``'s worker child that crashes says so in one JSON line, not multiprocessing's plain
traceback, and ends with exit code 1 (which the supervisor logs and restarts on)."""

from __future__ import annotations

import json
import multiprocessing

import pytest

from app.logging_setup import configure_logging
from app.runtime.worker_process import run_child


def crash_after_configuring_logs() -> None:
    """What the worker child does first (its JSON logs), then a bug."""
    configure_logging("INFO", capture_uncaught=True)
    raise RuntimeError("the worker broke")


def test_a_crashing_child_logs_one_json_line_and_exits_1(capfd: pytest.CaptureFixture[str]) -> None:
    child = multiprocessing.get_context("spawn").Process(
        target=run_child, args=(crash_after_configuring_logs, ())
    )
    child.start()
    child.join(60)
    assert child.exitcode == 1
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.strip()]
    [crashed] = [line for line in lines if line["event"] == "worker_process_crashed"]
    assert crashed["level"] == "error"
    assert "RuntimeError: the worker broke" in crashed["exception"]
