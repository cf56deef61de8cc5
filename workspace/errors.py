"""Typed Google Workspace errors, so callers decide by type instead of by status code.

Google reports a failure as an HTTP status plus a JSON envelope
``{"error": {"code", "message", "status", "errors": [{"domain", "reason", "message"}]}}``.
The same status can mean "slow down" or "you may never do this" (403 is both), so the
decision to retry has to look at ``errors[0].reason`` too. :func:`classify` is the single
place that reads that envelope; the adapters and the retry loop only see the types below.

Messages carry only what Google said about the failure, never the request: a request body
may hold a user's password.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

import httplib2
from google.auth.exceptions import RefreshError
from google.auth.exceptions import TransportError as AuthTransportError
from googleapiclient.errors import HttpError

__all__ = [
    "AlreadyExists",
    "BackendError",
    "DailyLimitExceeded",
    "GroupNotFound",
    "InvalidRequest",
    "MailSendingLimitExceeded",
    "NotAuthorized",
    "NotFound",
    "NotReady",
    "PermanentError",
    "RateLimited",
    "RetryableError",
    "WorkspaceError",
    "classify",
    "classify_http_error",
    "classify_transport_error",
    "names_missing_org_unit",
    "parse_retry_after",
]

#: 403 reasons that mean "too fast", not "forbidden" (Admin SDK and Gmail error guides).
RATE_LIMIT_REASONS = frozenset({"userRateLimitExceeded", "rateLimitExceeded", "quotaExceeded"})
#: 403 reason for the project's daily quota: retrying soon rarely helps, but it is not a refusal.
DAILY_LIMIT_REASON = "dailyLimitExceeded"
#: The canonical status Google sets on quota errors whose ``errors`` list is missing.
_RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
#: What tells Gmail's *daily sending limit* apart from its short rate limits. Gmail's error guide:
#: past the daily mail sending limits (a rolling 24 hours, per user) it answers "HTTP 429 Too
#: Many Requests 'User-rate limit exceeded' '(Mail sending)'" with the time to retry, and may go
#: on answering it for hours; the per-user and per-project *rate* limits (quota units per minute)
#: answer ``userRateLimitExceeded`` / ``rateLimitExceeded`` without that marker.
_MAIL_SENDING_MARKER = "(mail sending)"
#: What Google says when ``users.insert`` finds no seat left (HTTP 412, like a user still being made).
SEAT_LIMIT_MARKER = "domain user limit reached"
#: The retry time Gmail writes into that message: "Retry after 2026-01-21T13:00:00.000Z".
_RETRY_AFTER_IN_MESSAGE = re.compile(r"retry after (\d{4}-\d{2}-\d{2}T[0-9:.]+Z)", re.IGNORECASE)
#: What Google's 400 says when a user is inserted or moved into an org unit that does not exist
#: ("Invalid Input: INVALID_OU_ID"); the reason is the generic ``invalid``, so only this tells it.
_MISSING_ORG_UNIT_MARKER = "invalid_ou_id"
#: What Google's 404 says when the *group* of a group or membership call is missing
#: ("Resource Not Found: groupKey"), as opposed to its member ("... memberKey").
_GROUP_KEY_MARKER = "groupkey"


class WorkspaceError(Exception):
    """A failed Google call, reduced to what a caller needs to decide what to do next.

    ``retryable`` is a class attribute so that ``except RetryableError`` and ``err.retryable``
    agree; an instance may still override it when the cause knows better (a token refresh
    that google-auth itself marks as retryable).
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        reason: str | None = None,
        retry_after: float | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason
        self.retry_after = retry_after
        if retryable is not None:
            self.retryable = retryable

    def __str__(self) -> str:
        prefix = " ".join(str(part) for part in (self.status, self.reason) if part is not None)
        return f"{prefix}: {self.message}" if prefix else self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, reason={self.reason!r}, "
            f"message={self.message!r}, retry_after={self.retry_after!r})"
        )


class RetryableError(WorkspaceError):
    """The same request may succeed later, unchanged."""

    retryable = True


class RateLimited(RetryableError):  # noqa: N818 - names fixed by the adapters' contract
    """We went over a rate or quota: back off (and pace better next time)."""


class DailyLimitExceeded(RateLimited):
    """The project's daily quota is spent: a batch should stop rather than spin until tomorrow."""


class MailSendingLimitExceeded(DailyLimitExceeded):
    """A Gmail sender reached its daily sending limit (a rolling 24 hours): send from another
    mailbox until ``retry_after``, instead of retrying this one in seconds."""


class BackendError(RetryableError):
    """Google (or the network to it) failed; nothing is wrong with the request."""


class NotReady(RetryableError):  # noqa: N818 - names fixed by the adapters' contract
    """A user we just created has not propagated through Google's backends yet."""


class PermanentError(WorkspaceError):
    """Retrying the same request cannot help; a person or a code change must."""

    retryable = False


class AlreadyExists(PermanentError):  # noqa: N818 - names fixed by the adapters' contract
    """The entity exists: the caller reads it and reconciles instead of creating it again."""


class NotFound(PermanentError):  # noqa: N818 - names fixed by the adapters' contract
    """The entity does not exist (and we did not just create it)."""


class GroupNotFound(NotFound):
    """404 "Resource Not Found: groupKey": the group named in the call does not exist, or was
    created moments ago and has not propagated. Told apart from a 404 on the member (a user we
    just created, :class:`NotReady`) so that inserting a membership can be the group's check:
    the caller creates the group on this answer instead of reading the group before every
    first membership."""


class InvalidRequest(PermanentError):  # noqa: N818 - names fixed by the adapters' contract
    """Google refused the request's content."""


class SeatLimitReachedError(PermanentError):
    """412 "Domain user limit reached.": the tenant has no licence left for a new user. Not the
    412 of a user still being created (:class:`NotReady`): retrying cannot help until someone
    frees or buys seats."""


class NotAuthorized(PermanentError):  # noqa: N818 - names fixed by the adapters' contract
    """Our credentials, scopes or domain-wide delegation do not allow this call."""


def classify(
    status: int,
    body: bytes | str | None,
    headers: Mapping[str, str] | None = None,
    *,
    recently_created: bool = False,
) -> WorkspaceError:
    """Turn an HTTP error response into the matching :class:`WorkspaceError`.

    ``recently_created`` says the caller created this resource moments ago, so a 404 is
    propagation delay rather than absence.
    """
    envelope = _error_envelope(body)
    reason = _first_reason(envelope)
    error_type = _error_type(status, reason, envelope.get("status"), recently_created)
    message = _google_message(envelope, status)
    retry_after = _retry_after_header(headers)
    if status == 404 and _GROUP_KEY_MARKER in message.lower():
        error_type = GroupNotFound
    if status == 412 and message.lower().startswith(SEAT_LIMIT_MARKER):
        error_type = SeatLimitReachedError
    if issubclass(error_type, RateLimited) and _MAIL_SENDING_MARKER in message.lower():
        error_type = MailSendingLimitExceeded
        if retry_after is None:
            retry_after = _retry_after_in_message(message)
    return error_type(message, status=status, reason=reason, retry_after=retry_after)


def classify_http_error(exc: HttpError, *, recently_created: bool = False) -> WorkspaceError:
    """Classify what google-api-python-client raises for a non-2xx response."""
    response = exc.resp
    headers = response if isinstance(response, Mapping) else None
    return classify(int(response.status), exc.content, headers, recently_created=recently_created)


def names_missing_org_unit(exc: WorkspaceError) -> bool:
    """Whether Google refused a user write because its org unit does not exist (nothing was
    written): the caller may create the unit and write again."""
    return isinstance(exc, InvalidRequest) and _MISSING_ORG_UNIT_MARKER in exc.message.lower()


def classify_transport_error(exc: BaseException) -> WorkspaceError:
    """Classify a failure that happened before Google could answer.

    Refresh errors come first: google-auth raises them when the token endpoint refuses our
    service account, which retrying does not fix unless google-auth says otherwise.
    """
    message = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, RefreshError):
        return NotAuthorized(message, retryable=bool(getattr(exc, "retryable", False)))
    # OSError covers socket timeouts, resets and TLS failures; google-auth's TransportError
    # is the token endpoint being unreachable, which is the network, not our credentials.
    if isinstance(exc, OSError | httplib2.HttpLib2Error | AuthTransportError):
        return BackendError(message)
    return PermanentError(message)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Read a ``Retry-After`` value (delta-seconds or HTTP-date) as seconds from ``now``.

    Unparseable values give ``None`` rather than an exception: a bad hint must not turn a
    retryable error into a crash.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        return _seconds_until_http_date(text, now)
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _seconds_until_http_date(text: str, now: datetime | None) -> float | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC)
    return max((when - current).total_seconds(), 0.0)


def _retry_after_in_message(message: str) -> float | None:
    """Gmail's sending-limit message carries the retry time when no header does."""
    found = _RETRY_AFTER_IN_MESSAGE.search(message)
    if found is None:
        return None
    try:
        when = datetime.fromisoformat(found.group(1))
    except ValueError:
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _retry_after_header(headers: Mapping[str, str] | None) -> float | None:
    if not headers:
        return None
    for name, value in headers.items():
        if isinstance(name, str) and name.lower() == "retry-after":
            return parse_retry_after(str(value))
    return None


def _error_envelope(body: bytes | str | None) -> dict[str, Any]:
    """Return the ``error`` object, or ``{}`` for empty, non-JSON or oddly shaped bodies."""
    if not body:
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    if isinstance(data, list) and data:  # batch-style answers wrap the envelope in a list
        data = data[0]
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def _first_reason(envelope: Mapping[str, Any]) -> str | None:
    errors = envelope.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        reason = errors[0].get("reason")
        if isinstance(reason, str) and reason:
            return reason
    return None


def _google_message(envelope: Mapping[str, Any], status: int) -> str:
    message = envelope.get("message")
    if isinstance(message, str) and message.strip():
        return message.strip()
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def _error_type(
    status: int, reason: str | None, rpc_status: object, recently_created: bool
) -> type[WorkspaceError]:
    if status == 403:
        return _forbidden_type(reason, rpc_status)
    if status == 404:
        return NotReady if recently_created else NotFound
    if status == 408 or 500 <= status <= 599:
        return BackendError
    return _STATUS_TYPES.get(status) or (PermanentError if 400 <= status <= 499 else WorkspaceError)


def _forbidden_type(reason: str | None, rpc_status: object) -> type[WorkspaceError]:
    """403 is both "slow down" and "never": only the reason tells them apart."""
    if reason == DAILY_LIMIT_REASON:
        return DailyLimitExceeded
    if reason in RATE_LIMIT_REASONS or (reason is None and rpc_status == _RESOURCE_EXHAUSTED):
        return RateLimited
    return NotAuthorized


_STATUS_TYPES: dict[int, type[WorkspaceError]] = {
    400: InvalidRequest,
    401: NotAuthorized,
    409: AlreadyExists,
    412: NotReady,
    429: RateLimited,
}
