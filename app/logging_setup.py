"""Structured logging (structlog, JSON lines) with personal data masked at the source.

Callers log masked values only (``sofia_sync.normalize`` masks emails and documents); as a
second line of defence a processor drops any key that names a secret.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

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
    # Alembic's INFO lines ("Running upgrade ...") are plain text: in a service's JSON log they
    # would be unparseable lines. `misena migrate` reports the revision itself.
    "alembic",
)


def configure_logging(level: str = "INFO", *, stream: Any = None) -> None:
    logging.basicConfig(format="%(message)s", stream=stream or sys.stderr, level=level, force=True)
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _drop_secrets,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
