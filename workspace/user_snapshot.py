"""The whole tenant's users read once with ``users.list``, small enough to hold 500,000 of them.

A bulk plan compares every person with their account; a ``get`` per person would cost one
Directory call each (hours of quota at SENA's size). Instead the tenant is listed 500 users a
page with a ``fields`` mask, and each user is kept as packed JSON (about 400 bytes) rather
than as a parsed model (several kilobytes): the model is built only for the user a lookup
asks for.

Listing can run as several independent page chains at once. Google's page tokens are
sequential, so the only way to overlap the per-page latency is to split the address space:
addresses here are document numbers, so one chain per leading digit, plus one chain from each
end of the ordering for everything else (staff accounts, odd prefixes). Each chain wastes at
most one partly overlapping page, so the calls stay within ``ceil(users / 500)`` plus the
number of chains; with a single worker there is one chain and exactly the minimum.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from workspace.models import WorkspaceUser

#: What a plan reads of each user; everything else Google would send is left on the wire.
USER_FIELDS = (
    "id,primaryEmail,name(givenName,familyName),orgUnitPath,suspended,isAdmin,"
    "recoveryEmail,recoveryPhone,externalIds,phones,aliases,customSchemas"
)
LIST_FIELDS = f"nextPageToken,users({USER_FIELDS})"
PAGE_SIZE = 500
#: Leading characters of the addresses that have a chain of their own (document numbers).
SEED_PREFIXES = "123456789"
#: The first character that sorts after every digit: the descending chain's boundary.
_AFTER_DIGITS = chr(ord("9") + 1)


@dataclass(frozen=True)
class Chain:
    """One sequence of pages: a query, a direction, and where another chain takes over.

    An ascending chain stops once a page ends at or beyond ``stop_at``; a descending one once
    a page ends before ``stop_below``. ``None``: read to the natural end.
    """

    query: str = ""
    descending: bool = False
    stop_at: str | None = None
    stop_below: str | None = None

    def done_after(self, last_address: str) -> bool:
        if self.stop_at is not None and last_address >= self.stop_at:
            return True
        return self.stop_below is not None and last_address < self.stop_below


def chains_for(workers: int) -> list[Chain]:
    """One chain when listing sequentially; otherwise the digit chains and the two ends."""
    if workers <= 1:
        return [Chain()]
    head = Chain(stop_at=SEED_PREFIXES[0])
    digits = [Chain(query=f"email:{digit}*") for digit in SEED_PREFIXES]
    tail = Chain(descending=True, stop_below=_AFTER_DIGITS)
    return [*digits, head, tail]


#: Fetch one page: (chain, page token) -> the ``users.list`` answer as Google's JSON.
PageFetcher = Callable[[Chain, str | None], Mapping[str, Any]]


class UserSnapshot:
    """Users by id as packed JSON, with every address (primary and alias) pointing at its id."""

    def __init__(self) -> None:
        self._json: dict[str, bytes] = {}
        self._by_address: dict[str, str] = {}
        self._lock = threading.Lock()
        #: ``users.list`` calls that returned a page.
        self.calls = 0

    def __len__(self) -> int:
        return len(self._json)

    def add_page(self, users: list[Mapping[str, Any]]) -> None:
        """Keep a page's users; a user listed twice (chains overlap) is kept once."""
        packed = [(u, _pack(u)) for u in users]
        with self._lock:
            self.calls += 1
            for user, raw in packed:
                user_id = str(user["id"])
                self._json[user_id] = raw
                self._by_address[str(user["primaryEmail"]).lower()] = user_id
                for alias in user.get("aliases") or ():
                    self._by_address.setdefault(str(alias).lower(), user_id)

    def find(self, address: str, user_id: str | None = None) -> WorkspaceUser | None:
        """By id when misena knows it, else by any address the account answers to."""
        raw = self._json.get(user_id) if user_id is not None else None
        if raw is None:
            found = self._by_address.get(address.lower())
            raw = self._json.get(found) if found is not None else None
        return WorkspaceUser.model_validate(_unpack(raw)) if raw is not None else None

    def raw_users(self) -> Iterator[dict[str, Any]]:
        """Every user as Google's JSON (parsed one at a time, so memory stays flat)."""
        for raw in self._json.values():
            yield _unpack(raw)


#: The top-level fields in USER_FIELDS, in the order a packed user lists their values.
_KEYS = tuple(name.split("(")[0] for name in USER_FIELDS.replace("(givenName,familyName)", "").split(","))


def _pack(user: Mapping[str, Any]) -> bytes:
    """A user as the JSON list of its values in ``_KEYS`` order (``null`` for an absent field):
    the same JSON without the field names, a third smaller. Not compressed: zlib releases the
    GIL on every call, and 100,000 releases from the listing threads would stall the roster
    being parsed at the same time (each waits a whole switch interval to get it back)."""
    return json.dumps([user.get(key) for key in _KEYS], separators=(",", ":"), ensure_ascii=False).encode()


def _unpack(packed: bytes) -> dict[str, Any]:
    """Google never sends these fields as ``null``: a ``null`` is an absent field."""
    return {key: value for key, value in zip(_KEYS, json.loads(packed), strict=True) if value is not None}


class SnapshotCancelledError(Exception):
    """The caller gave up on the snapshot (its plan failed for another reason)."""


def read_snapshot(fetch: PageFetcher, *, workers: int, cancel: threading.Event | None = None) -> UserSnapshot:
    """Run the chains (``workers`` at a time) and gather their users into one snapshot.

    A failing chain stops the others (half a tenant is worse than none: it would read as
    mass creations and suspensions); so does ``cancel``.
    """
    snapshot = UserSnapshot()
    stop = cancel or threading.Event()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="snapshot") as pool:
        futures = [pool.submit(_run_chain, fetch, chain, snapshot, stop) for chain in chains_for(workers)]
        try:
            for future in futures:
                future.result()
        except BaseException:
            stop.set()
            raise
    return snapshot


def _run_chain(fetch: PageFetcher, chain: Chain, snapshot: UserSnapshot, stop: threading.Event) -> None:
    token: str | None = None
    while True:
        if stop.is_set():
            raise SnapshotCancelledError
        page = fetch(chain, token)
        users = list(page.get("users") or [])
        snapshot.add_page(users)
        token = page.get("nextPageToken")
        if not token or not users or chain.done_after(str(users[-1]["primaryEmail"]).lower()):
            return
