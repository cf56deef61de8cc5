"""The tenant listed with ``users.list`` into a :class:`~workspace.user_snapshot.UserSnapshot`.

Listing can run as several independent page chains at once. Google's page tokens are
sequential, so the only way to overlap the per-page latency is to split the address space:
addresses here are document numbers, so one chain per leading digit, plus one chain from each
end of the ordering for everything else (staff accounts, odd prefixes). Each chain wastes at
most one partly overlapping page, so the calls stay within ``ceil(users / 500)`` plus the
number of chains; with a single worker there is one chain and exactly the minimum.

The threads live here, apart from the store, so the domain can hold a snapshot without
importing them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from workspace.user_snapshot import USER_FIELDS, Tally, UserSnapshot, pack_page

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


class SnapshotCancelledError(Exception):
    """The caller gave up on the snapshot (its plan failed for another reason)."""


def read_snapshot(
    fetch: PageFetcher, *, workers: int, cancel: threading.Event | None = None, tally: Tally | None = None
) -> UserSnapshot:
    """Run the chains (``workers`` at a time) and gather their users into one snapshot,
    counted by ``tally`` as they come.

    A failing chain stops the others (half a tenant is worse than none: it would read as
    mass creations and suspensions); so does ``cancel``.
    """
    snapshot = UserSnapshot(tally)
    lock = threading.Lock()
    stop = cancel or threading.Event()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="snapshot") as pool:
        futures = [
            pool.submit(_run_chain, fetch, chain, snapshot, lock, stop) for chain in chains_for(workers)
        ]
        try:
            for future in futures:
                future.result()
        except BaseException:
            stop.set()
            raise
    return snapshot


def _run_chain(
    fetch: PageFetcher, chain: Chain, snapshot: UserSnapshot, lock: threading.Lock, stop: threading.Event
) -> None:
    token: str | None = None
    while True:
        if stop.is_set():
            raise SnapshotCancelledError
        page = fetch(chain, token)
        users = list(page.get("users") or [])
        packed = pack_page(users, snapshot.tally)
        with lock:
            snapshot.keep(packed)
        token = page.get("nextPageToken")
        if not token or not users or chain.done_after(str(users[-1]["primaryEmail"]).lower()):
            return
