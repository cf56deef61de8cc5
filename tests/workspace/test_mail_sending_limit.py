"""Gmail's daily sending limit told apart from its short rate limits, as Gmail's error guide
tells them apart: the daily one is a 429 "User-rate limit exceeded" naming "(Mail sending)" and
the time to retry; the short ones name no such thing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from workspace.errors import DailyLimitExceeded, MailSendingLimitExceeded, RateLimited, classify


def answer(status: int, reason: str, message: str) -> bytes:
    error = {"code": status, "message": message, "status": "RESOURCE_EXHAUSTED"}
    error["errors"] = [{"domain": "usageLimits", "reason": reason, "message": message}]
    return json.dumps({"error": error}).encode()


def gmail_stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_the_daily_sending_limit_is_its_own_kind_with_the_retry_time_from_the_message() -> None:
    retry_at = datetime.now(UTC) + timedelta(hours=5)
    message = f"User-rate limit exceeded.  Retry after {gmail_stamp(retry_at)} (Mail sending)"

    error = classify(429, answer(429, "rateLimitExceeded", message))

    assert isinstance(error, MailSendingLimitExceeded)
    assert isinstance(error, DailyLimitExceeded)
    assert isinstance(error, RateLimited), "callers catching RateLimited still see it"
    assert error.retry_after is not None
    assert 5 * 3600 - 5 < error.retry_after <= 5 * 3600


def test_a_retry_after_header_wins_over_the_message() -> None:
    message = "User-rate limit exceeded.  Retry after 2020-01-01T00:00:00.000Z (Mail sending)"
    error = classify(429, answer(429, "rateLimitExceeded", message), {"Retry-After": "600"})
    assert isinstance(error, MailSendingLimitExceeded)
    assert error.retry_after == 600


@pytest.mark.parametrize(
    ("status", "reason", "message"),
    [
        (429, "rateLimitExceeded", "Rate Limit Exceeded"),
        (429, "rateLimitExceeded", "User-rate limit exceeded.  Retry after 2026-01-21T13:00:00.000Z"),
        (403, "userRateLimitExceeded", "User Rate Limit Exceeded"),
        (403, "rateLimitExceeded", "Rate Limit Exceeded"),
        (429, "rateLimitExceeded", "Too many concurrent requests for user"),
    ],
)
def test_short_rate_limits_stay_short(status: int, reason: str, message: str) -> None:
    error = classify(status, answer(status, reason, message), {"Retry-After": "1"})
    assert type(error) is RateLimited
    assert error.retry_after == 1


def test_the_marker_on_a_refusal_is_not_a_limit() -> None:
    error = classify(400, answer(400, "invalidArgument", "Invalid To header (Mail sending)"))
    assert not isinstance(error, RateLimited)
