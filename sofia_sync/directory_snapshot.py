"""The Directory as a bulk plan reads it: every account, listed once, and how many misena manages
in each scope.

Apart from :mod:`sofia_sync.bulk_plan` because it is the plan's input, not its rules: the plan
looks accounts up here instead of asking Google for each person, and the safety check weighs
the managed counts taken here. Pure, like the plan: the listing is done by the caller.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sofia_sync.roster import Scope
from workspace.models import WorkspaceUser
from workspace.user_snapshot import UserSnapshot


@dataclass(frozen=True)
class ManagedPlaces:
    """A user → the scopes it counts in as an account misena manages: ``("all", None)``, and
    its regional's and centro's, when it is linked to Sofia Plus and not an admin.

    A :data:`~workspace.user_snapshot.Tally`: handed to the listing, it counts the users while
    their page's JSON is in hand, so the plan need not parse every user again to count them.
    """

    custom_schema: str
    external_id_type: str

    def __call__(self, user: Mapping[str, Any]) -> tuple[tuple[str, str | None], ...]:
        values = (user.get("customSchemas") or {}).get(self.custom_schema) or {}
        linked = bool(values.get("documentNumber")) or any(
            e.get("type") == self.external_id_type for e in user.get("externalIds") or ()
        )
        if not linked or user.get("isAdmin"):
            return ()
        places: list[tuple[str, str | None]] = [("all", None)]
        places.extend((kind, str(values[kind])) for kind in ("regional", "centro") if values.get(kind))
        return tuple(places)


class Snapshot:
    """The Directory as read once, with how many accounts misena manages in each scope.

    The users stay compact in the :class:`UserSnapshot` (a model is built only for a lookup);
    the managed counts are the listing's own when it was counted by the same
    :class:`ManagedPlaces`, else taken in one pass here, so the safety check costs nothing later.
    """

    def __init__(self, users: UserSnapshot, custom_schema: str, external_id_type: str) -> None:
        self._users = users
        places = ManagedPlaces(custom_schema, external_id_type)
        self._managed: Counter[Hashable] = Counter()
        if users.tally == places:
            self._managed.update(users.tallies)
            return
        for user in users.raw_users():
            self._managed.update(places(user))

    @classmethod
    def of(cls, users: Iterable[WorkspaceUser], custom_schema: str, external_id_type: str) -> Snapshot:
        """A snapshot of users already in hand (as if listed in one page)."""
        listed = UserSnapshot(ManagedPlaces(custom_schema, external_id_type))
        listed.add_page([u.model_dump(by_alias=True, exclude_none=True, mode="json") for u in users])
        return cls(listed, custom_schema, external_id_type)

    def __len__(self) -> int:
        return len(self._users)

    def find(self, address: str, user_id: str | None = None) -> WorkspaceUser | None:
        return self._users.find(address, user_id)

    def get(self, key: str) -> WorkspaceUser | None:
        """By a Google id or any address the account answers to, as the Directory's
        ``users.get`` does: the lookup :func:`~sofia_sync.account_lookup.find_account` is given."""
        return self._users.find(key, key)

    def managed_in(self, scope: Scope) -> int:
        """Accounts linked to Sofia Plus (not admins) whose schema places them in the scope."""
        return self._managed[(scope.kind, scope.code)]
