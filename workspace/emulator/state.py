"""The emulator's memory, kept apart from HTTP so tests and the control plane can reset and seed it.

One re-entrant lock guards everything: the emulator serves tests and benchmarks on one machine,
so simplicity beats fine-grained locking. The clock is monotonic plus an offset that the control
plane can advance, so "a day later" is testable without waiting a day.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from workspace.emulator.config import EmulatorConfig


@dataclass
class StoredUser:
    """A user as Google keeps it: the public resource plus what Google never returns."""

    resource: dict[str, Any]
    password: str
    hash_function: str | None
    visible_at: float


#: Google keeps a deleted user restorable for about 20 days, then purges it for good.
DELETED_USER_RETENTION_SECONDS = 20 * 86_400.0


@dataclass
class DeletedUser:
    """A user ``users.delete`` removed: restorable by id until ``purge_at`` (emulator clock).

    ``aliases`` and ``memberships`` (group id -> member resource) are what deletion freed;
    ``users.undelete`` gives them back where they are still free.
    """

    stored: StoredUser
    purge_at: float
    aliases: list[str] = field(default_factory=list)
    memberships: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class StoredMessage:
    id: str
    thread_id: str
    raw: bytes
    internal_date_ms: int
    label_ids: list[str]
    #: when Gmail took it, on the emulator's clock (what its sending window counts), to the
    #: microsecond: ``internal_date_ms`` is whole seconds of wall time
    sent_at: float = 0.0


@dataclass
class TokenGrant:
    """What ``POST /token`` handed out: who the token acts as and what it may do."""

    subject: str
    scopes: frozenset[str]
    client_email: str
    expires_at: float


@dataclass
class ServiceAccount:
    client_email: str
    client_id: str
    key_id: str
    public_key_pem: str
    delegated_scopes: frozenset[str]


@dataclass
class EmulatorState:
    config: EmulatorConfig = field(default_factory=EmulatorConfig)
    lock: threading.RLock = field(default_factory=threading.RLock)
    clock_offset: float = 0.0
    #: when set, the clock stands still here (plus offset): limit tests become deterministic
    frozen_at: float | None = None
    #: the last request bodies received, by method id (passwords masked), for contract tests
    request_log: deque[tuple[str, Any]] = field(default_factory=lambda: deque(maxlen=10_000))
    users: dict[str, StoredUser] = field(default_factory=dict)
    #: lower-cased primary address or alias -> user id
    user_addresses: dict[str, str] = field(default_factory=dict)
    #: deleted users by id, until purged: absent from every lookup, their addresses free
    deleted_users: dict[str, DeletedUser] = field(default_factory=dict)
    org_units: dict[str, dict[str, Any]] = field(default_factory=dict)
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    group_addresses: dict[str, str] = field(default_factory=dict)
    #: when a group just created becomes visible to reads and member writes (like a new user)
    group_visible_at: dict[str, float] = field(default_factory=dict)
    #: group id -> lower-cased member email -> member resource
    members: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    #: lower-cased sender -> messages in the sender's mailbox (SENT)
    mailboxes: dict[str, list[StoredMessage]] = field(default_factory=dict)
    service_accounts: dict[str, ServiceAccount] = field(default_factory=dict)
    tokens: dict[str, TokenGrant] = field(default_factory=dict)
    calls: Counter[tuple[str, int]] = field(default_factory=Counter)
    #: timestamps of recent events for the sliding-window limits, by limit key
    windows: dict[str, deque[float]] = field(default_factory=dict)
    #: every event a limit counted, (limit key, emulator time): what a test reads to check that
    #: a client's calls stayed under a rate over any window, not just under Google's
    granted: deque[tuple[str, float]] = field(default_factory=lambda: deque(maxlen=200_000))
    id_counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    #: sorted ``users.list`` matches by (query, order, direction), valid until a user changes;
    #: paging a large tenant would otherwise filter and sort every user for every page
    list_cache: dict[tuple[str, str, str], list[StoredUser]] = field(default_factory=dict)
    #: until this moment some user is still invisible to reads, so listings are not cached
    visible_from: float = 0.0

    def users_changed(self) -> None:
        """Call after any change to a user (or to which users exist): listings are recomputed."""
        self.list_cache.clear()

    def now(self) -> float:
        base = self.frozen_at if self.frozen_at is not None else time.monotonic()
        return base + self.clock_offset

    def wall_now(self) -> datetime:
        return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=self.clock_offset)

    def next_id(self, width: int = 21) -> str:
        """Numeric ids shaped like Google's (they are opaque strings of digits)."""
        return str(10 ** (width - 1) + next(self.id_counter))

    def lookup_user_id(self, key: str) -> str | None:
        """Google accepts a primary address, an alias or the immutable id as ``userKey``."""
        if key in self.users:
            return key
        return self.user_addresses.get(key.lower())

    def lookup_group_id(self, key: str) -> str | None:
        if key in self.groups:
            return key
        return self.group_addresses.get(key.lower())

    def address_taken(self, address: str) -> bool:
        lowered = address.lower()
        return lowered in self.user_addresses or lowered in self.group_addresses


def rfc3339(moment: datetime) -> str:
    """Google's timestamp shape: millisecond precision, ``Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
