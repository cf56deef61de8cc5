"""Gmail's per-sender daily sending limit, answered the way Gmail answers it.

Gmail counts a sender's messages over a *rolling* 24 hours (not per calendar day) and, past the
limit, answers ``429 Too Many Requests`` "User-rate limit exceeded" naming "(Mail sending)" and
the time to retry (Gmail API guide, "Resolve a 429 error"; Workspace "Gmail sending limits":
2,000 a day, "applied over a rolling 24-hour period"). That marker is what lets a client tell
the daily limit (use another mailbox for hours) from a short rate limit (wait seconds), which
the fault plan injects as ``rateLimitExceeded`` / ``userRateLimitExceeded`` without it.
"""

from __future__ import annotations

from datetime import timedelta

from workspace.emulator.errors import GoogleApiError
from workspace.emulator.state import EmulatorState, rfc3339


def sending_limit_error(state: EmulatorState, wait: float) -> GoogleApiError:
    """Gmail's daily-limit answer for a sender whose window frees a slot in ``wait`` seconds."""
    retry_at = state.wall_now() + timedelta(seconds=wait)
    return GoogleApiError(
        429,
        "rateLimitExceeded",
        f"User-rate limit exceeded.  Retry after {rfc3339(retry_at)} (Mail sending)",
        domain="usageLimits",
        retry_after=max(1, round(wait)),
    )
