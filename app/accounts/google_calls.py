"""The Google calls a reconcile makes, described before they are made.

A reconcile decides its work first — the account to create, the one ``users.update`` of an
existing account, the ficha group changes — and then executes exactly that work
(:class:`~app.accounts.reconcile.Reconciler`). The descriptions here are derived from those
same decided objects, so ``GET /v1/people/{id}/plan`` (:mod:`app.accounts.explain`) shows the
calls the reconcile would make now without a second, parallel set of rules that could drift.

A description names the API method as the emulator counts it (``directory.users.update``), the
key it addresses and the body fields that change, with their new values — never a password (a
new account's is generated at the moment of the insert and is not part of any description).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workspace.models import NewUser, UserChanges, WorkspaceUser

#: What a description says of a new account's password instead of its value.
NOT_SHOWN = "(generated at the insert; never shown)"


@dataclass(frozen=True)
class GoogleCall:
    """One call: ``api`` and ``method`` as Google names them, the key it addresses, the body
    fields it writes (name → new value) and, for a call that depends on Google's answer, why."""

    api: str
    method: str
    key: str
    changes: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def method_id(self) -> str:
        """The method as the emulator's counters name it."""
        return f"{self.api}.{self.method}"


def insert_call(new_user: NewUser) -> GoogleCall:
    """The ``users.insert`` of ``new_user``: every field it sets, the password masked."""
    body = new_user.model_dump(mode="json", exclude_none=True, exclude={"password"})
    body["password"] = NOT_SHOWN
    return GoogleCall("directory", "users.insert", new_user.primary_email, body)


def update_call(key: str, changes: UserChanges) -> GoogleCall:
    """The one ``users.update`` of the account ``key``: only the fields the patch sets."""
    return GoogleCall("directory", "users.update", key, changes.model_dump(mode="json", exclude_unset=True))


def credentials_call(recipient: str) -> GoogleCall:
    """The credentials email sent right after the account is made (the courier's one send)."""
    return GoogleCall("gmail", "users.messages.send", recipient, note="credentials email")


@dataclass
class RecordedReads:
    """A ``users.get`` lookup that remembers each read it made and whether Google had it."""

    lookup: Callable[[str], WorkspaceUser | None]
    reads: list[tuple[str, bool]] = field(default_factory=list)

    def __call__(self, key: str) -> WorkspaceUser | None:
        found = self.lookup(key)
        self.reads.append((key, found is not None))
        return found

    def calls(self) -> list[GoogleCall]:
        return [
            GoogleCall("directory", "users.get", key, note="" if found else "404: not there")
            for key, found in self.reads
        ]
