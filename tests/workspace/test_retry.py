"""Google's exponential backoff, driven by injected errors and a recording fake sleep."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workspace.errors import (
    AlreadyExists,
    BackendError,
    InvalidRequest,
    NotAuthorized,
    NotReady,
    RateLimited,
    WorkspaceError,
)
from workspace.retry import RetryPolicy, backoff_delay, call_with_retry

NO_JITTER = RetryPolicy(jitter=0.0)


class Script:
    """A call that fails with the given errors, in order, then returns ``result``."""

    def __init__(self, errors: Iterable[BaseException], result: str = "ok") -> None:
        self.errors = list(errors)
        self.result = result
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.result


class RecordingSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def rate_limited(retry_after: float | None = None) -> RateLimited:
    return RateLimited("Rate Limit Exceeded", status=429, retry_after=retry_after)


def forbidden_rate() -> RateLimited:
    return RateLimited("Rate Limit Exceeded", status=403, reason="rateLimitExceeded")


def unavailable() -> BackendError:
    return BackendError("Service Unavailable", status=503)


def test_success_first_time_never_sleeps() -> None:
    sleep = RecordingSleep()
    assert call_with_retry(Script([]), NO_JITTER, sleep=sleep) == "ok"
    assert sleep.waits == []


def test_429_storm_recovers_with_doubling_waits() -> None:
    call, sleep = Script([rate_limited() for _ in range(4)]), RecordingSleep()
    assert call_with_retry(call, NO_JITTER, sleep=sleep) == "ok"
    assert call.calls == 5
    assert sleep.waits == [1.0, 2.0, 4.0, 8.0]


def test_mixed_503_and_403_rate_limit_storm_recovers() -> None:
    errors = [unavailable(), forbidden_rate(), unavailable(), forbidden_rate()]
    call, sleep = Script(errors), RecordingSleep()
    assert call_with_retry(call, NO_JITTER, sleep=sleep) == "ok"
    assert len(sleep.waits) == 4


def test_not_ready_is_retried() -> None:
    call = Script([NotReady("User creation is not complete.", status=412)])
    assert call_with_retry(call, NO_JITTER, sleep=RecordingSleep()) == "ok"


@pytest.mark.parametrize(
    "error",
    [
        InvalidRequest("Invalid Password", status=400),
        AlreadyExists("Entity already exists.", status=409),
        NotAuthorized("Not Authorized to access this resource/api", status=403),
    ],
)
def test_permanent_errors_raise_at_once_without_sleeping(error: WorkspaceError) -> None:
    call, sleep = Script([error]), RecordingSleep()
    with pytest.raises(type(error)) as raised:
        call_with_retry(call, NO_JITTER, sleep=sleep)
    assert raised.value is error
    assert call.calls == 1
    assert sleep.waits == []


def test_instance_marked_retryable_is_retried() -> None:
    call = Script([NotAuthorized("token endpoint busy", retryable=True)])
    assert call_with_retry(call, NO_JITTER, sleep=RecordingSleep()) == "ok"
    assert call.calls == 2


def test_non_workspace_exceptions_propagate_unretried() -> None:
    call, sleep = Script([KeyError("bug")]), RecordingSleep()
    with pytest.raises(KeyError):
        call_with_retry(call, NO_JITTER, sleep=sleep)
    assert call.calls == 1
    assert sleep.waits == []


def test_attempts_are_capped_and_the_last_error_itself_is_raised() -> None:
    errors = [rate_limited() for _ in range(10)]
    last = errors[RetryPolicy().max_attempts - 1]
    call, sleep = Script(errors), RecordingSleep()
    with pytest.raises(RateLimited) as raised:
        call_with_retry(call, NO_JITTER, sleep=sleep)
    assert raised.value is last
    assert call.calls == 7
    assert len(sleep.waits) == 6  # no sleep after the final attempt


def test_single_attempt_policy_never_retries() -> None:
    call = Script([unavailable()])
    with pytest.raises(BackendError):
        call_with_retry(call, RetryPolicy(max_attempts=1), sleep=RecordingSleep())
    assert call.calls == 1


def test_waits_are_capped_at_max_backoff() -> None:
    policy = RetryPolicy(max_attempts=10, jitter=0.0, max_backoff=10.0)
    sleep = RecordingSleep()
    call_with_retry(Script([unavailable() for _ in range(9)]), policy, sleep=sleep)
    assert sleep.waits == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0, 10.0, 10.0]


def test_retry_after_longer_than_backoff_is_honoured() -> None:
    sleep = RecordingSleep()
    call_with_retry(Script([rate_limited(retry_after=30.0)]), NO_JITTER, sleep=sleep)
    assert sleep.waits == [30.0]


def test_retry_after_shorter_than_backoff_does_not_shorten_it() -> None:
    sleep = RecordingSleep()
    errors = [rate_limited(), rate_limited(), rate_limited(retry_after=0.5)]
    call_with_retry(Script(errors), NO_JITTER, sleep=sleep)
    assert sleep.waits == [1.0, 2.0, 4.0]


def test_retry_after_above_the_policy_limit_raises_at_once() -> None:
    policy = RetryPolicy(jitter=0.0, max_retry_after=60.0)
    error = rate_limited(retry_after=3600.0)
    call, sleep = Script([error]), RecordingSleep()
    with pytest.raises(RateLimited) as raised:
        call_with_retry(call, policy, sleep=sleep)
    assert raised.value is error
    assert sleep.waits == []


def test_handed_back_errors_raise_at_once_and_others_are_still_retried() -> None:
    """The Gmail sender takes rate limits back (it rests that sender and tries the next)."""
    error = rate_limited(retry_after=1.0)
    call, sleep = Script([unavailable(), error]), RecordingSleep()
    with pytest.raises(RateLimited) as raised:
        call_with_retry(call, NO_JITTER, sleep=sleep, hand_back=(RateLimited,))
    assert raised.value is error
    assert call.calls == 2  # the 503 was retried, the 429 was not
    assert sleep.waits == [1.0]


def test_on_retry_sees_each_error_and_its_wait() -> None:
    errors = [unavailable(), rate_limited(retry_after=9.0)]
    seen: list[tuple[WorkspaceError, float]] = []
    sleep = RecordingSleep()
    call_with_retry(Script(errors), NO_JITTER, sleep=sleep, on_retry=lambda e, w: seen.append((e, w)))
    assert [w for _, w in seen] == sleep.waits == [1.0, 9.0]
    assert [type(e) for e, _ in seen] == [BackendError, RateLimited]


def test_sleep_receives_plain_floats() -> None:
    sleep = RecordingSleep()
    call_with_retry(Script([unavailable()]), NO_JITTER, sleep=sleep)
    assert [type(w) for w in sleep.waits] == [float]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"initial_backoff": -1.0},
        {"jitter": -0.1},
        {"multiplier": 0.5},
        {"max_retry_after": -1.0},
    ],
)
def test_nonsense_policies_are_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"."):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(min_value=1, max_value=12),
    initial_backoff=st.floats(min_value=0.0, max_value=5.0),
    max_backoff=st.floats(min_value=0.0, max_value=120.0),
    multiplier=st.floats(min_value=1.0, max_value=4.0),
    jitter=st.floats(min_value=0.0, max_value=2.0),
)


def fixed(fraction: float) -> Callable[[float, float], float]:
    """A stand-in for ``random.uniform`` that always lands at ``fraction`` of the range."""
    return lambda low, high: low + (high - low) * fraction


@given(policy=policies, fraction=st.floats(min_value=0.0, max_value=1.0))
def test_waits_never_decrease_ignoring_jitter(policy: RetryPolicy, fraction: float) -> None:
    waits = [backoff_delay(policy, n, uniform=fixed(fraction)) for n in range(40)]
    assert waits == sorted(waits)


@given(
    policy=policies,
    n=st.integers(min_value=0, max_value=2000),
    fraction=st.floats(min_value=0.0, max_value=1.0),
)
def test_wait_stays_within_jitter_and_cap(policy: RetryPolicy, n: int, fraction: float) -> None:
    wait = backoff_delay(policy, n, uniform=fixed(fraction))
    assert 0.0 <= wait <= policy.max_backoff
    no_jitter = backoff_delay(policy, n, uniform=fixed(0.0))
    assert no_jitter <= wait <= no_jitter + policy.jitter + 1e-9


@given(
    policy=policies,
    n=st.integers(min_value=0, max_value=50),
    retry_after=st.floats(min_value=0.0, max_value=1e6),
)
def test_retry_after_is_a_floor(policy: RetryPolicy, n: int, retry_after: float) -> None:
    assert backoff_delay(policy, n, retry_after=retry_after) >= retry_after


@given(
    policy=policies,
    failures=st.integers(min_value=0, max_value=15),
    kind=st.sampled_from([rate_limited, forbidden_rate, unavailable]),
)
def test_retryable_storms_end_in_success_or_the_cap(
    policy: RetryPolicy, failures: int, kind: Callable[[], WorkspaceError]
) -> None:
    call, sleep = Script([kind() for _ in range(failures)]), RecordingSleep()
    if failures < policy.max_attempts:
        assert call_with_retry(call, policy, sleep=sleep) == "ok"
        assert call.calls == failures + 1
    else:
        with pytest.raises(WorkspaceError):
            call_with_retry(call, policy, sleep=sleep)
        assert call.calls == policy.max_attempts
    assert len(sleep.waits) == call.calls - 1


def test_zero_initial_backoff_stays_zero_however_many_retries() -> None:
    policy = RetryPolicy(initial_backoff=0.0, multiplier=4.0, jitter=0.0)
    assert backoff_delay(policy, 5000) == 0.0


def test_huge_retry_numbers_saturate_at_the_cap() -> None:
    assert backoff_delay(NO_JITTER, 5000) == NO_JITTER.max_backoff
