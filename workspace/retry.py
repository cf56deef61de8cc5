"""Google's truncated exponential backoff around one Workspace call.

Google asks clients to retry rate-limit and backend errors after ``min(2**n + jitter,
max_backoff)`` seconds, and to honour ``Retry-After`` when it is given. Tenacity runs the
loop (attempt counting, stop, re-raise); this module only decides *which* errors are worth
another attempt and *how long* to wait, because both depend on :mod:`workspace.errors`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, stop_after_attempt

from workspace.errors import WorkspaceError

__all__ = ["RetryPolicy", "backoff_delay", "call_with_retry"]

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How persistent to be; the defaults are Google's documented algorithm.

    ``max_retry_after`` bounds how long a ``Retry-After`` may ask us to wait: above it the
    error is raised at once, so a caller can reschedule the work (Gmail's daily sending
    limit answers "retry in hours") instead of blocking a worker. ``None`` honours any value.
    """

    max_attempts: int = 7
    initial_backoff: float = 1.0
    max_backoff: float = 64.0
    multiplier: float = 2.0
    jitter: float = 1.0
    max_retry_after: float | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.initial_backoff, self.max_backoff, self.jitter) < 0:
            raise ValueError("backoffs and jitter must not be negative")
        if self.multiplier < 1:
            raise ValueError("multiplier below 1 would shrink the backoff")
        if self.max_retry_after is not None and self.max_retry_after < 0:
            raise ValueError("max_retry_after must not be negative")


def backoff_delay(
    policy: RetryPolicy,
    retry_number: int,
    *,
    retry_after: float | None = None,
    uniform: Callable[[float, float], float] = random.uniform,
) -> float:
    """Seconds to wait before retry ``retry_number`` (0 for the first retry).

    The jitter is inside the cap, as in Google's description, so ``max_backoff`` is a true
    ceiling for our own backoff; only the server's ``Retry-After`` may exceed it.
    """
    exponential = _exponential(policy.initial_backoff, policy.multiplier, retry_number)
    jittered = exponential + uniform(0.0, policy.jitter)
    ours = min(jittered, policy.max_backoff)
    return max(retry_after, ours) if retry_after is not None else ours


def _exponential(initial: float, multiplier: float, retry_number: int) -> float:
    """``initial * multiplier**n`` that saturates instead of raising on huge ``n``."""
    if initial == 0:
        return 0.0
    try:
        return initial * multiplier**retry_number
    except OverflowError:
        return float("inf")


def call_with_retry(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[WorkspaceError, float], None] | None = None,
    hand_back: tuple[type[WorkspaceError], ...] = (),
) -> T:
    """Call ``fn`` until it succeeds, raises a permanent error, or attempts run out.

    ``hand_back``: retryable errors the caller handles itself, raised on their first
    occurrence (the Gmail sender rests a rate-limited mailbox and moves on to the next one,
    rather than waiting here).

    The last :class:`WorkspaceError` is raised as itself (never tenacity's ``RetryError``) so
    callers handle one exception hierarchy. Exceptions that are not ``WorkspaceError`` are
    bugs or unclassified failures and propagate on the first attempt.
    """
    retrying = Retrying(
        sleep=lambda seconds: sleep(float(seconds)),
        stop=stop_after_attempt(policy.max_attempts),
        wait=lambda state: _wait_for(state, policy),
        retry=lambda state: _should_retry(state, policy, hand_back),
        before_sleep=_notifier(on_retry),
        reraise=True,
    )
    return retrying(fn)


def _failure(state: RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome is not None else None


def _should_retry(
    state: RetryCallState, policy: RetryPolicy, hand_back: tuple[type[WorkspaceError], ...]
) -> bool:
    error = _failure(state)
    if not isinstance(error, WorkspaceError) or not error.retryable or isinstance(error, hand_back):
        return False
    limit = policy.max_retry_after
    return limit is None or error.retry_after is None or error.retry_after <= limit


def _wait_for(state: RetryCallState, policy: RetryPolicy) -> float:
    error = _failure(state)
    retry_after = error.retry_after if isinstance(error, WorkspaceError) else None
    return backoff_delay(policy, state.attempt_number - 1, retry_after=retry_after)


def _notifier(
    on_retry: Callable[[WorkspaceError, float], None] | None,
) -> Callable[[RetryCallState], None] | None:
    """Adapt ``on_retry`` to tenacity's hook, which runs after the wait is chosen."""
    if on_retry is None:
        return None

    def notify(state: RetryCallState) -> None:
        error = _failure(state)
        if isinstance(error, WorkspaceError):
            on_retry(error, state.upcoming_sleep)

    return notify
