"""The whole tenant's users held once, small enough to keep 500,000 of them.

A bulk plan compares every person with their account; a ``get`` per person would cost one
Directory call each (hours of quota at SENA's size). Instead the tenant is listed 500 users a
page with a ``fields`` mask (:mod:`workspace.snapshot_reader`), and each user is kept as packed
JSON (about 400 bytes) rather than as a parsed model (several kilobytes): the model is built
only for the user a lookup asks for.

This module is the store alone: plain data and no threads, so the domain (``sofia_sync``) can
take a snapshot without importing the concurrency that fills one. The threaded listing, and
the lock its chains share, live in :mod:`workspace.snapshot_reader`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import Any

from workspace.models import WorkspaceUser

#: What a plan reads of each user; everything else Google would send is left on the wire.
USER_FIELDS = (
    "id,primaryEmail,name(givenName,familyName),orgUnitPath,suspended,isAdmin,"
    "recoveryEmail,recoveryPhone,externalIds,phones,aliases,customSchemas"
)

#: What a snapshot counts each user under while it is listed (see :attr:`UserSnapshot.tallies`):
#: the user as Google's JSON → the keys it counts under (none, one or several).
Tally = Callable[[Mapping[str, Any]], tuple[Hashable, ...]]

#: A page's users, each as (id, primary address, aliases, packed JSON, tally keys): packed
#: outside any lock so the reader's chains hold theirs only for the dictionary inserts.
PackedPage = list[tuple[str, str, tuple[str, ...], bytes, tuple[Hashable, ...]]]


def pack_page(users: list[Mapping[str, Any]], tally: Tally | None = None) -> PackedPage:
    """A ``users.list`` page ready for :meth:`UserSnapshot.keep`, counted by ``tally``."""
    return [
        (
            str(user["id"]),
            str(user["primaryEmail"]),
            tuple(str(a) for a in user.get("aliases") or ()),
            _pack(user),
            tally(user) if tally is not None else (),
        )
        for user in users
    ]


class UserSnapshot:
    """Users by id as packed JSON, with every address (primary and alias) pointing at its id.

    Not thread-safe by itself: whoever fills it from several threads serialises :meth:`keep`
    (the reader does, with one lock per snapshot).
    """

    def __init__(self, tally: Tally | None = None) -> None:
        self._json: dict[str, bytes] = {}
        self._by_address: dict[str, str] = {}
        #: ``users.list`` calls that returned a page.
        self.calls = 0
        #: What the users were counted by while they were listed (``None``: not counted).
        self.tally = tally
        #: Users by each key ``tally`` gave them, each user counted once. Counted while the
        #: page's JSON is in hand, by the listing's threads: counting afterwards would parse
        #: every packed user again (over a second at 100,000 users, on the plan's own time).
        self.tallies: Counter[Hashable] = Counter()

    def __len__(self) -> int:
        return len(self._json)

    def add_page(self, users: list[Mapping[str, Any]]) -> None:
        """Keep a page's users; a user listed twice (chains overlap) is kept once."""
        self.keep(pack_page(users, self.tally))

    def keep(self, page: PackedPage) -> None:
        """Keep a page packed by :func:`pack_page` (with this snapshot's tally); counts as one
        ``users.list`` call."""
        self.calls += 1
        for user_id, primary, aliases, raw, keys in page:
            if user_id not in self._json:
                self.tallies.update(keys)
            self._json[user_id] = raw
            self._by_address[primary.lower()] = user_id
            for alias in aliases:
                self._by_address.setdefault(alias.lower(), user_id)

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
