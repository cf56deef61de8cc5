"""Google's quotas and the test-only distortions: injected faults.

Quotas are sliding windows over the emulator's clock, answered with the status and reason
Google documents, so a client that merely retries harder than it should is caught here.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from collections import deque

from pydantic import BaseModel, Field, model_validator

from workspace.emulator.errors import GoogleApiError
from workspace.emulator.gmail_limits import sending_limit_error
from workspace.emulator.state import EmulatorState


def take(state: EmulatorState, key: str, limit: int, window_seconds: float) -> float | None:
    """Count one event against ``key``; return seconds until a slot frees if over the limit."""
    now = state.now()
    events = state.windows.setdefault(key, deque())
    # ``events[0] + window <= now``, not ``events[0] <= now - window``: with a frozen clock
    # advanced by exactly one window, the subtraction can round below ``events[0]``.
    while events and events[0] + window_seconds <= now:
        events.popleft()
    if len(events) >= limit:
        return events[0] + window_seconds - now
    events.append(now)
    state.granted.append((key, now))
    return None


def check_quotas(state: EmulatorState, method_id: str, subject: str) -> None:
    if not state.config.limits_enabled:
        return
    config = state.config
    if method_id.startswith("directory."):
        wait = take(state, "directory-queries", config.directory_queries_per_minute, 60.0)
        if wait is not None:
            raise GoogleApiError(
                403, "userRateLimitExceeded", "Request rate higher than configured.",
                domain="usageLimits", retry_after=max(1, round(wait)),
            )  # fmt: skip
    if method_id == "directory.users.insert":
        wait = take(state, "user-creates", config.user_creates_per_second, 1.0)
        if wait is not None:
            raise GoogleApiError(
                403, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits",
                retry_after=1,
            )  # fmt: skip
    if method_id == "gmail.users.messages.send":
        wait = take(state, f"gmail-rate:{subject}", config.gmail_sends_per_minute, 60.0)
        if wait is not None:
            raise GoogleApiError(
                429, "userRateLimitExceeded", "User-rate limit exceeded", retry_after=max(1, round(wait))
            )
        key, window = f"gmail-send:{subject}", config.gmail_sending_window_seconds
        wait = take(state, key, config.gmail_messages_per_day, window)
        if wait is not None:
            raise sending_limit_error(state, wait)


class FaultRule(BaseModel):
    """``method`` is a discovery method id (``directory.users.insert``), an HTTP verb or ``*``;
    ``path`` a glob on the request path. Fires ``times`` times, or with probability ``rate``."""

    method: str = "*"
    path: str = "*"
    status: int = Field(ge=400, le=599)
    reason: str = "backendError"
    message: str = "Backend Error"
    times: int | None = Field(default=None, ge=1)
    rate: float | None = Field(default=None, gt=0.0, le=1.0)
    retry_after: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_trigger(self) -> FaultRule:
        if (self.times is None) == (self.rate is None):
            raise ValueError("give exactly one of 'times' or 'rate'")
        return self


class FaultPlan:
    """The active fault rules; thread-safe, deterministic under a seed."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._random = random.Random(seed)

    def replace(self, rules: list[FaultRule], seed: int) -> None:
        with self._lock:
            self._rules = [rule.model_copy() for rule in rules]
            self._random = random.Random(seed)

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return [rule.model_copy() for rule in self._rules]

    def check(self, method_id: str, http_method: str, path: str) -> None:
        with self._lock:
            for rule in self._rules:
                if rule.method not in ("*", method_id, http_method.upper()):
                    continue
                if not fnmatch.fnmatchcase(path, rule.path):
                    continue
                if rule.times is not None:
                    if rule.times <= 0:
                        continue
                    rule.times -= 1
                elif self._random.random() >= (rule.rate or 0.0):
                    continue
                raise GoogleApiError(rule.status, rule.reason, rule.message, retry_after=rule.retry_after)
