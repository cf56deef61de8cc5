"""Classification of Google's error answers into the typed hierarchy."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httplib2
import pytest
from google.auth.exceptions import GoogleAuthError, RefreshError
from google.auth.exceptions import TransportError as AuthTransportError
from googleapiclient.errors import HttpError
from hypothesis import given
from hypothesis import strategies as st

from workspace.errors import (
    AlreadyExists,
    BackendError,
    DailyLimitExceeded,
    GroupNotFound,
    InvalidRequest,
    NotAuthorized,
    NotFound,
    NotReady,
    PermanentError,
    RateLimited,
    RetryableError,
    WorkspaceError,
    classify,
    classify_http_error,
    classify_transport_error,
    names_missing_org_unit,
    parse_retry_after,
)


def envelope(status: int, reason: str | None, message: str = "Google says no") -> bytes:
    errors = [] if reason is None else [{"domain": "global", "reason": reason, "message": message}]
    body = {"error": {"code": status, "message": message, "errors": errors, "status": "X"}}
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        (429, "rateLimitExceeded", RateLimited),
        (429, None, RateLimited),
        (403, "userRateLimitExceeded", RateLimited),
        (403, "rateLimitExceeded", RateLimited),
        (403, "quotaExceeded", RateLimited),
        (403, "dailyLimitExceeded", DailyLimitExceeded),
        (403, "forbidden", NotAuthorized),
        (403, "notAuthorized", NotAuthorized),
        (403, "insufficientPermissions", NotAuthorized),
        (403, "domainPolicy", NotAuthorized),
        (403, None, NotAuthorized),
        (500, "backendError", BackendError),
        (502, None, BackendError),
        (503, "backendError", BackendError),
        (504, None, BackendError),
        (408, None, BackendError),
        (412, "conditionNotMet", NotReady),
        (404, "notFound", NotFound),
        (409, "duplicate", AlreadyExists),
        (400, "invalid", InvalidRequest),
        (401, "authError", NotAuthorized),
        (410, "deleted", PermanentError),
        (422, None, PermanentError),
    ],
)
def test_status_and_reason_pick_the_type(
    status: int, reason: str | None, expected: type[WorkspaceError]
) -> None:
    error = classify(status, envelope(status, reason))
    assert type(error) is expected
    assert error.status == status
    assert error.reason == reason


def test_daily_limit_is_still_rate_limited() -> None:
    error = classify(403, envelope(403, "dailyLimitExceeded"), {"Retry-After": "3600"})
    assert isinstance(error, RateLimited)
    assert error.retry_after == 3600.0


def test_resource_exhausted_without_reason_is_rate_limited() -> None:
    body = json.dumps({"error": {"code": 403, "message": "Quota", "status": "RESOURCE_EXHAUSTED"}})
    assert isinstance(classify(403, body), RateLimited)


def test_404_right_after_our_create_is_not_ready() -> None:
    error = classify(404, envelope(404, "notFound"), recently_created=True)
    assert isinstance(error, NotReady)
    assert error.retryable


@pytest.mark.parametrize("recently_created", [False, True])
def test_a_404_naming_the_group_is_the_group_missing_whoever_was_just_created(
    recently_created: bool,
) -> None:
    """A membership insert for a member we just created still says "the group is missing"
    when Google names ``groupKey``: retrying it unchanged cannot help, creating the group can."""
    group = envelope(404, "notFound", "Resource Not Found: groupKey")
    error = classify(404, group, recently_created=recently_created)
    assert type(error) is GroupNotFound
    assert isinstance(error, NotFound)
    assert not error.retryable
    member = envelope(404, "notFound", "Resource Not Found: memberKey")
    expected = NotReady if recently_created else NotFound
    assert type(classify(404, member, recently_created=recently_created)) is expected


@pytest.mark.parametrize(
    ("status", "message", "missing"),
    [
        (400, "Invalid Input: INVALID_OU_ID", True),
        (400, "Invalid Input: primary_user_email", False),
        (404, "Invalid Input: INVALID_OU_ID", False),
    ],
)
def test_only_googles_invalid_ou_refusal_names_a_missing_org_unit(
    status: int, message: str, missing: bool
) -> None:
    """The reconcile creates the unit and writes again on this answer alone: any other 400 is
    a refusal of the account itself, and creating units would not help it."""
    assert names_missing_org_unit(classify(status, envelope(status, "invalid", message))) is missing


def test_retryable_follows_the_hierarchy() -> None:
    assert classify(503, None).retryable
    assert isinstance(classify(503, None), RetryableError)
    assert not classify(409, None).retryable
    assert isinstance(classify(409, None), PermanentError)


def test_message_is_googles_only() -> None:
    error = classify(400, envelope(400, "invalid", "Invalid Password"))
    assert error.message == "Invalid Password"
    assert str(error) == "400 invalid: Invalid Password"


@pytest.mark.parametrize("body", [None, b"", "", b"<html>Bad Gateway</html>", b"\xff\xfe", "[]", "42"])
def test_tolerates_bodies_that_are_not_the_envelope(body: bytes | str | None) -> None:
    error = classify(502, body)
    assert isinstance(error, BackendError)
    assert error.reason is None
    assert error.message == "Bad Gateway"


def test_non_json_body_never_reaches_the_message() -> None:
    error = classify(500, b"password=S3cret! echoed by a proxy")
    assert "S3cret" not in str(error)
    assert "S3cret" not in repr(error)


def test_status_without_a_phrase_still_has_a_message() -> None:
    assert classify(499, None).message == "HTTP 499"


def test_batch_style_list_envelope_is_read() -> None:
    body = json.dumps([json.loads(envelope(409, "duplicate", "Entity already exists."))])
    error = classify(409, body)
    assert error.reason == "duplicate"
    assert error.message == "Entity already exists."


@pytest.mark.parametrize("name", ["Retry-After", "retry-after", "RETRY-AFTER"])
def test_retry_after_header_name_is_case_insensitive(name: str) -> None:
    assert classify(429, None, {name: "12"}).retry_after == 12.0


def test_retry_after_absent_or_garbage_is_none() -> None:
    assert classify(429, None).retry_after is None
    assert classify(429, None, {"retry-after": "soon"}).retry_after is None


def test_retry_after_http_date() -> None:
    now = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Sat, 01 Mar 2025 12:00:30 GMT", now=now) == 30.0


def test_retry_after_in_the_past_is_zero() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert classify(503, None, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}).retry_after == 0


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_retry_after_seconds_are_never_negative(seconds: float) -> None:
    parsed = parse_retry_after(repr(seconds))
    assert parsed == max(seconds, 0.0)


@given(st.text())
def test_retry_after_never_raises(value: str) -> None:
    parsed = parse_retry_after(value)
    assert parsed is None or parsed >= 0


@given(
    status=st.integers(min_value=400, max_value=599),
    body=st.one_of(st.none(), st.binary(), st.text()),
    recently_created=st.booleans(),
)
def test_classify_is_total_on_error_statuses(
    status: int, body: bytes | str | None, recently_created: bool
) -> None:
    error = classify(status, body, recently_created=recently_created)
    assert isinstance(error, RetryableError | PermanentError)
    assert error.retryable == isinstance(error, RetryableError)


def http_error(status: int, content: bytes, **headers: str) -> HttpError:
    response = httplib2.Response({"status": str(status), **headers})
    return HttpError(response, content, uri="https://admin.googleapis.com/admin/directory/v1/users")


def test_http_error_uses_status_content_and_headers() -> None:
    exc = http_error(429, envelope(429, "rateLimitExceeded", "Slow down"), **{"retry-after": "5"})
    error = classify_http_error(exc)
    assert isinstance(error, RateLimited)
    assert (error.reason, error.message, error.retry_after) == ("rateLimitExceeded", "Slow down", 5)


def test_http_error_412_user_creation_not_complete() -> None:
    exc = http_error(412, envelope(412, "conditionNotMet", "User creation is not complete."))
    assert isinstance(classify_http_error(exc), NotReady)


def test_http_error_passes_recently_created() -> None:
    exc = http_error(404, envelope(404, "notFound"))
    assert isinstance(classify_http_error(exc), NotFound)
    assert isinstance(classify_http_error(exc, recently_created=True), NotReady)


def auth_error(kind: type[GoogleAuthError], message: str, *, retryable: bool = False) -> GoogleAuthError:
    """google-auth's exception constructors are untyped; build them through one typed door."""
    return kind(message, retryable=retryable)


@pytest.mark.parametrize(
    "exc",
    [
        TimeoutError("timed out"),
        ConnectionResetError(104, "Connection reset by peer"),
        ConnectionRefusedError(111, "refused"),
        BrokenPipeError(32, "Broken pipe"),
        httplib2.ServerNotFoundError("Unable to find the server"),
        httplib2.HttpLib2Error("transport"),
        auth_error(AuthTransportError, "token endpoint unreachable"),
    ],
)
def test_transport_failures_are_backend_errors(exc: BaseException) -> None:
    error = classify_transport_error(exc)
    assert isinstance(error, BackendError)
    assert error.retryable
    assert error.status is None


def test_refused_token_refresh_is_not_authorized() -> None:
    error = classify_transport_error(auth_error(RefreshError, "invalid_grant: Invalid JWT Signature."))
    assert isinstance(error, NotAuthorized)
    assert not error.retryable
    assert "invalid_grant" in error.message


def test_refresh_error_marked_retryable_stays_retryable() -> None:
    error = classify_transport_error(auth_error(RefreshError, "temporarily unavailable", retryable=True))
    assert isinstance(error, NotAuthorized)
    assert error.retryable
    assert not NotAuthorized.retryable  # the override is per instance, not per class


def test_unknown_exception_is_permanent() -> None:
    error = classify_transport_error(ValueError("bug"))
    assert type(error) is PermanentError
    assert not error.retryable
