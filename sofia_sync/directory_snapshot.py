"""The Directory as a bulk plan reads it: every account, listed once, and how many misena manages
in each scope.

Apart from :mod:`sofia_sync.bulk_plan` because it is the plan's input, not its rules: the plan
looks accounts up here instead of asking Google for each person, and the safety check weighs
the managed counts taken here. Pure, like the plan: the listing is done by the caller.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sofia_sync.roster import Scope
from workspace.models import WorkspaceUser
from workspace.user_snapshot import UserSnapshot


class Snapshot:
    """The Directory as read once, with how many accounts misena manages in each scope.

    The users stay compact in the :class:`UserSnapshot` (a model is built only for a lookup);
    the managed counts are taken in one pass here, so the safety check costs nothing later.
    """

    def __init__(self, users: UserSnapshot, custom_schema: str, external_id_type: str) -> None:
        self._users = users
        self._managed: Counter[tuple[str, str | None]] = Counter()
        for user in users.raw_users():
            values = (user.get("customSchemas") or {}).get(custom_schema) or {}
            linked = bool(values.get("documentNumber")) or any(
                e.get("type") == external_id_type for e in user.get("externalIds") or ()
            )
            if not linked or user.get("isAdmin"):
                continue
            self._managed[("all", None)] += 1
            for kind in ("regional", "centro"):
                if values.get(kind):
                    self._managed[(kind, str(values[kind]))] += 1

    @classmethod
    def of(cls, users: Iterable[WorkspaceUser], custom_schema: str, external_id_type: str) -> Snapshot:
        """A snapshot of users already in hand (as if listed in one page)."""
        listed = UserSnapshot()
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
