"""The two ports misena needs from Google, as Protocols.

The service depends on these, not on google-api-python-client, so the domain and the worker
can be exercised against the emulator through the real adapters, or against anything else
that keeps the same promises.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Protocol

from pydantic import SecretStr

from workspace.models import (
    DeletedUser,
    Group,
    GroupMember,
    MemberRole,
    NewUser,
    OrgUnit,
    UserChanges,
    UserPage,
    WorkspaceUser,
)
from workspace.sign_in_status import SignInStatus
from workspace.user_snapshot import Tally, UserSnapshot


class Directory(Protocol):
    """Users, org units and groups of the Workspace tenant."""

    def get_user(self, key: str) -> WorkspaceUser | None:
        """By primary address, alias or id; ``None`` when Google says it does not exist."""

    def create_user(self, user: NewUser) -> WorkspaceUser:
        """One insert with every field; raises ``AlreadyExists`` on 409."""

    def update_user(self, key: str, changes: UserChanges) -> WorkspaceUser: ...

    def rename_user(self, key: str, new_primary_email: str) -> WorkspaceUser:
        """Google keeps the old address as an alias."""

    def set_suspended(self, key: str, suspended: bool) -> WorkspaceUser: ...

    def set_password(self, key: str, password: SecretStr, *, change_at_next_login: bool = True) -> None: ...

    def find_deleted_user(
        self, *, user_id: str | None = None, primary_email: str | None = None
    ) -> DeletedUser | None:
        """A deleted, not yet purged user by its id or (the most recently deleted) by address;
        ``None`` when Google keeps no such deleted user. Give exactly one of the two."""

    def undelete_user(self, user_id: str, org_unit_path: str) -> None:
        """Restore a deleted user into ``org_unit_path``, with its password and suspension.

        Raises ``NotFound`` when no deleted user has that id (purged, never deleted, or already
        restored — after a lost answer, read the user to tell) and ``AlreadyExists`` when its
        address or an alias now belongs to someone else."""

    def list_users_page(
        self, query: str = "", page_token: str | None = None, page_size: int = 500
    ) -> UserPage: ...

    def iter_users(self, query: str = "", page_size: int = 500) -> Iterator[WorkspaceUser]: ...

    def iter_sign_in_pages(self, page_size: int = 500) -> Iterator[list[SignInStatus]]:
        """Every user's sign-in fields, a ``users.list`` page at a time, in address order."""

    def snapshot_users(
        self,
        *,
        custom_schema: str,
        workers: int = 8,
        page_size: int = 500,
        cancel: threading.Event | None = None,
        tally: Tally | None = None,
    ) -> UserSnapshot:
        """Every user, by ``users.list`` pages only, kept compact; ``workers`` chains at a time.

        Setting ``cancel`` stops it between pages with ``SnapshotCancelledError``; ``tally``
        counts the users as they are listed (:attr:`UserSnapshot.tallies`)."""

    def get_org_unit(self, path: str) -> OrgUnit | None: ...

    def create_org_unit(self, name: str, parent_path: str = "/") -> OrgUnit: ...

    def ensure_org_unit(self, path: str) -> OrgUnit:
        """Create the path and any missing parents; existing units are left alone."""

    def get_group(self, key: str) -> Group | None: ...

    def create_group(self, email: str, name: str, description: str = "") -> Group: ...

    def add_member(self, group_key: str, email: str, role: MemberRole = "MEMBER") -> bool:
        """True if added, False if it was already a member (Google's 409 is success here)."""

    def remove_member(self, group_key: str, email: str) -> bool:
        """True if removed, False if it was not a member."""

    def get_member(self, group_key: str, email: str) -> GroupMember | None:
        """The membership of ``email`` (address, alias or id); ``None`` if not a member or no group."""

    def set_member_role(self, group_key: str, email: str, role: MemberRole) -> GroupMember:
        """Change an existing member's role; raises ``NotFound`` if it is not a member."""

    def is_member(self, group_key: str, email: str) -> bool: ...

    def iter_members(self, group_key: str) -> Iterator[GroupMember]: ...


class MailSender(Protocol):
    """Sends a ready MIME message from one of the configured sender mailboxes."""

    def send(self, sender: str, message: EmailMessage) -> str:
        """Returns Gmail's message id."""
