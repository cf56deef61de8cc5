"""Every line a process writes is one JSON object: structlog's own lines, any standard-library
logger's (uvicorn, Alembic), warnings and the traceback of an exception nobody caught."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from app.logging_setup import configure_logging, get_logger


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    captured = io.StringIO()
    saved = structlog.get_config()
    hooks = sys.excepthook, threading.excepthook
    configure_logging("INFO", stream=captured, capture_uncaught=True)
    try:
        yield captured
    finally:
        structlog.configure(**saved)
        sys.excepthook, threading.excepthook = hooks
        logging.captureWarnings(False)
        logging.basicConfig(stream=sys.stderr, force=True)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    parsed = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert all({"level", "event", "timestamp"} <= set(line) for line in parsed), parsed
    return parsed


def test_standard_library_loggers_speak_json_with_their_name(stream: io.StringIO) -> None:
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
    logging.getLogger("alembic.runtime.migration").info("Running upgrade  -> 0001_initial")
    get_logger("misena").info("webhook_stored", webhook_id="msg_1")
    first, second, third = lines(stream)
    assert (first["logger"], first["level"], first["event"]) == (
        "uvicorn.error",
        "info",
        "Started server process [42]",
    )
    assert second["event"] == "Running upgrade  -> 0001_initial", "Alembic is no longer silenced"
    assert (third["event"], third["webhook_id"]) == ("webhook_stored", "msg_1")


def test_a_traceback_is_a_field_of_one_line(stream: io.StringIO) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    [line] = lines(stream)
    assert line["level"] == "error"
    assert "Traceback" in line["exception"]
    assert "RuntimeError: boom" in line["exception"]


def test_warnings_and_uncaught_exceptions_are_json_lines(stream: io.StringIO) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        logging.captureWarnings(True)  # catch_warnings restored showwarning: capture again inside
        warnings.warn("a deprecated thing", DeprecationWarning, stacklevel=1)
    try:
        raise ValueError("nobody caught this")
    except ValueError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    thread = threading.Thread(target=_crash, name="doomed")
    thread.start()
    thread.join()
    warning, uncaught, crashed = lines(stream)
    assert (warning["logger"], warning["level"]) == ("py.warnings", "warning")
    assert "a deprecated thing" in warning["event"]
    assert (uncaught["event"], uncaught["level"]) == ("uncaught_exception", "critical")
    assert "ValueError: nobody caught this" in uncaught["exception"]
    assert (crashed["event"], crashed["thread"]) == ("thread_crashed", "doomed")
    assert "KeyError" in crashed["exception"]


def _crash() -> None:
    raise KeyError("gone")


def test_the_level_applies_to_every_logger(stream: io.StringIO) -> None:
    configure_logging("WARNING", stream=stream)
    logging.getLogger("uvicorn.error").info("not shown")
    get_logger("misena").info("not shown either")
    logging.getLogger("alembic").warning("shown")
    assert [line["event"] for line in lines(stream)] == ["shown"]


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log level"):
        configure_logging("LOUD", stream=io.StringIO())


def test_staff_commands_leave_uncaught_exceptions_to_typer(stream: io.StringIO) -> None:
    """``misena accounts ...`` at a terminal: the person reads Typer's traceback, not a JSON line."""

    def typer_hook(*_: object) -> None:
        """Stands for the hook Typer installs before running a command."""

    sys.excepthook = typer_hook
    configure_logging("WARNING", stream=stream)
    assert sys.excepthook is typer_hook
