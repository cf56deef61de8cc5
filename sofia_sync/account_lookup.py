"""One way to find a person's account, for the reconcile (asking Google, one ``users.get``
per key) and the bulk plan (asking the Directory snapshot it read once), so the plan
previews the account the reconcile will act on. Pure: the caller brings the lookup."""

from __future__ import annotations

from collections.abc import Callable

from sofia_sync.normalize import username
from sofia_sync.policy import DesiredAccount
from workspace.models import WorkspaceUser

__all__ = ["account_keys", "find_account"]


def account_keys(desired: DesiredAccount, google_user_id: str | None, domain: str) -> list[str]:
    """Where a person's account is looked for, in order: the Google id misena recorded
    (robust to renames by anyone), the address they should have, then their former
    documents' addresses — so a TI → CC change renames the one account instead of creating a
    second."""
    keys = [google_user_id] if google_user_id is not None else []
    keys.append(desired.primary_email)
    keys.extend(username(number, domain) for _, number in sorted(desired.former_documents))
    return keys


def find_account(
    lookup: Callable[[str], WorkspaceUser | None],
    desired: DesiredAccount,
    google_user_id: str | None,
    domain: str,
) -> WorkspaceUser | None:
    """The person's account through ``lookup`` (a Google id or an address → the account, as
    the Directory's ``users.get`` answers; the reconcile asks Google, the bulk plan its
    snapshot), trying :func:`account_keys` in order; ``None`` when none answers."""
    for key in account_keys(desired, google_user_id, domain):
        found = lookup(key)
        if found is not None:
            return found
    return None
