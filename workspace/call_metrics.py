"""Every Google call as Prometheus sees it: how many, by API, method and answer, and how long.

Recorded in :func:`workspace.google_session.execute`, the one place every Directory and Gmail
request passes (each retry attempt is its own call, as Google counts it). The labels come from
the request's discovery method id (``directory.users.insert`` → ``directory`` / ``users.insert``)
and the HTTP status, so they are bounded by the APIs' method lists — never an address or a body.
The metrics live here, beside the client, so every process that talks to Google (the API's
``?live=true`` lookups, ``misena worker``, ``serve``'s worker child) exports its own calls.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter, Histogram

__all__ = ["REQUESTS", "REQUEST_SECONDS", "CallRecord", "method_labels", "recorded"]

REQUESTS = Counter(
    "misena_google_requests_total",
    "Google API calls by API, method and HTTP status ('error': no answer from Google)",
    ["api", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "misena_google_request_duration_seconds",
    "Seconds each Google API call took, answer or failure",
    ["api", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
#: The status label of a call Google never answered (network, token endpoint).
NO_ANSWER = "error"


def method_labels(request: Any) -> tuple[str, str]:
    """``(api, method)`` from the request's discovery method id (``gmail.users.messages.send``)."""
    method_id = getattr(request, "methodId", None)
    if not isinstance(method_id, str) or "." not in method_id:
        return "unknown", "unknown"
    api, _, method = method_id.partition(".")
    return api, method


@dataclass
class CallRecord:
    """The answer's status, set by whoever sees it (the response callback, or the error)."""

    status: str = NO_ANSWER


@contextmanager
def recorded(request: Any) -> Iterator[CallRecord]:
    """Count and time one execution of ``request``; the status is read from the HTTP answer
    (google-api-python-client's response callback, which runs for successes and errors alike)."""
    api, method = method_labels(request)
    record = CallRecord()
    add_callback = getattr(request, "add_response_callback", None)
    if callable(add_callback):
        add_callback(lambda response: setattr(record, "status", str(response.status)))
    started = time.perf_counter()
    try:
        yield record
    finally:
        REQUEST_SECONDS.labels(api, method).observe(time.perf_counter() - started)
        REQUESTS.labels(api, method, record.status).inc()
