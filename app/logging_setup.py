"""Structured logging: every line a misena process writes is one JSON object, personal data
masked at the source.

Callers log masked values only (``sofia_sync.normalize`` masks emails and documents); as a
second line of defence a processor drops any key that names a secret.

One pipeline for everything: structlog's own loggers, and every standard-library logger —
uvicorn's server lines, Alembic's migration lines, ``warnings``, an uncaught exception's
traceback — rendered by the same processors through structlog's ``ProcessorFormatter``, and
written through the same structlog ``PrintLogger`` (one lock per stream, so lines from both
never interleave). A log collector can parse the stream line by line, with no plain-text
exceptions.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import MutableMapping
from types import TracebackType
from typing import Any

import structlog
from structlog.stdlib import ProcessorFormatter

SECRET_KEYS = frozenset({"password", "temporary_password", "secret", "token", "authorization"})


def _drop_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if key.lower() in SECRET_KEYS:
            event[key] = "<redacted>"
    return event


#: Libraries that log request URLs at DEBUG/INFO — and our URLs carry account addresses,
#: i.e. document numbers. They only ever speak at WARNING and above.
CHATTY_LIBRARIES = (
    "googleapiclient",
    "google_auth_httplib2",
    "google.auth",
    "httpx",
    "httpcore",
    "urllib3",
)


#: uvicorn's loggers: a ``uvicorn.Config`` given a ``log_level`` sets theirs (the demo's in-process
#: emulator asks for "warning"), which would hide the service's own server lines.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


class _SameStream(logging.Handler):
    """Writes the formatted record through structlog's ``PrintLogger`` of the same stream."""

    def __init__(self, out: structlog.PrintLogger, formatter: logging.Formatter) -> None:
        super().__init__()
        self._out = out
        self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._out.msg(self.format(record))
        except Exception:
            self.handleError(record)


def configure_logging(level: str = "INFO", *, stream: Any = None, capture_uncaught: bool = False) -> None:
    """JSON lines at ``level`` and above to ``stream`` (stderr), from every logger of the process.

    ``capture_uncaught``: the service's processes (``serve``, ``worker``, the demo) also log an
    exception nobody caught — in the main thread or any other — as a JSON line; the staff
    commands leave that to Typer, whose traceback a person at a terminal reads.
    """
    out = stream or sys.stderr
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    chain: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _drop_secrets,
    ]
    render: list[Any] = [
        structlog.processors.format_exc_info,
        structlog.processors.JSONRenderer(ensure_ascii=False),
    ]
    formatter = ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *chain],
        processors=[ProcessorFormatter.remove_processors_meta, *render],
    )
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(_SameStream(structlog.PrintLogger(file=out), formatter))
    root.setLevel(numeric)
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, numeric))
    for name in SERVER_LOGGERS:  # follow the process's level, whatever a uvicorn.Config set before
        logging.getLogger(name).setLevel(logging.NOTSET)
    logging.captureWarnings(True)
    if capture_uncaught:
        sys.excepthook = _log_uncaught
        threading.excepthook = _log_uncaught_in_thread
    structlog.configure(
        processors=[*chain, *render],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )


def _log_uncaught(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    """The last thing a crashing process says, as a JSON line (Ctrl-C stays Python's own)."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    get_logger(__name__).critical("uncaught_exception", exc_info=(kind, error, trace))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or issubclass(args.exc_type, SystemExit):
        return
    get_logger(__name__).critical(
        "thread_crashed",
        thread=args.thread.name if args.thread is not None else None,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
