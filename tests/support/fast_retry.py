"""The client's retries made fast for tests, and a sleep that records instead of waiting."""

from __future__ import annotations

from workspace.retry import RetryPolicy

#: Fast, but with Google's shape: exponential growth and jitter, just scaled down.
FAST_RETRY = RetryPolicy(max_attempts=6, initial_backoff=0.01, max_backoff=0.2, jitter=0.01)


class SleepRecorder:
    """Stands in for time.sleep so tests see every backoff without waiting for it."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
