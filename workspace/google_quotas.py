"""Google's rate limits as named buckets, and the budget misena spends from each by default.

Google counts the Directory API per project (2,400 queries a minute), user creations per domain
(10 ``users.insert`` a second) and Gmail per sender mailbox (15,000 quota units a minute, a send
costing 100: 150 sends a minute). misena's defaults sit a little under each, so network jitter
(two calls granted 100 ms apart arriving 90 ms apart) does not land an extra call inside Google's
window. They are the *whole* tenant's budget: the service's processes all take from the same
buckets (``app.quota``), so nothing is divided between replicas.
"""

from __future__ import annotations

from dataclasses import dataclass

from workspace.rate_rule import Budget

__all__ = [
    "DIRECTORY_QUERIES",
    "USER_CREATES",
    "BudgetBook",
    "bucket_kind",
    "gmail_sends",
]

#: Every Admin SDK call of the project.
DIRECTORY_QUERIES = "directory.queries"
#: ``users.insert``, per domain.
USER_CREATES = "directory.creates"
#: One bucket per Gmail sender (the prefix plus the mailbox).
GMAIL_SENDS_PREFIX = "gmail.sends:"

DEFAULT_QUERIES_PER_MINUTE = 2300.0
DEFAULT_CREATES_PER_SECOND = 9.6
DEFAULT_SENDS_PER_MINUTE = 144.0
#: Directory calls may go 20 at once after idling (page chains, a burst of lookups): any minute
#: then holds at most the rate plus 20, still under Google's 2,400.
QUERY_BURST = 20
#: A sender may send 5 at once after idling: Gmail's limit is a moving average over a minute.
SEND_BURST = 5


def gmail_sends(sender: str) -> str:
    """The bucket of one sender mailbox: each mailbox has its own per-user Gmail limit."""
    return GMAIL_SENDS_PREFIX + sender.lower()


def bucket_kind(bucket: str) -> str:
    """A bucket's metric label: senders are one kind (mailboxes are not metric labels)."""
    return GMAIL_SENDS_PREFIX.rstrip(":") if bucket.startswith(GMAIL_SENDS_PREFIX) else bucket


@dataclass(frozen=True)
class BudgetBook:
    """The configured budget of every bucket name the Google adapters use."""

    queries: Budget
    creates: Budget
    sends_per_sender: Budget

    @classmethod
    def defaults(cls) -> BudgetBook:
        return cls.of(
            queries_per_minute=DEFAULT_QUERIES_PER_MINUTE,
            creates_per_second=DEFAULT_CREATES_PER_SECOND,
            sends_per_minute=DEFAULT_SENDS_PER_MINUTE,
        )

    @classmethod
    def of(
        cls, *, queries_per_minute: float, creates_per_second: float, sends_per_minute: float
    ) -> BudgetBook:
        return cls(
            queries=Budget.per_minute(queries_per_minute, burst=QUERY_BURST),
            creates=Budget(creates_per_second),
            sends_per_sender=Budget.per_minute(sends_per_minute, burst=SEND_BURST),
        )

    def budget(self, bucket: str) -> Budget:
        if bucket == DIRECTORY_QUERIES:
            return self.queries
        if bucket == USER_CREATES:
            return self.creates
        if bucket.startswith(GMAIL_SENDS_PREFIX):
            return self.sends_per_sender
        raise ValueError(f"no budget is configured for the quota bucket {bucket!r}")
