"""Ficha groups in Google: created on first need, memberships joined and left.

Each operation is idempotent on Google's side (409 "already a member" and 404 "not a member"
both mean done), so a job that dies half-way is simply run again. Groups known to exist are
remembered per process so a busy ficha costs one ``groups.get``, not one per apprentice — and
one per process even when a dozen worker threads meet the new ficha at once: the first looks it
up while the others wait for its answer (one lock per group).

A role change of a membership misena recorded adding (an apprentice who becomes the ficha's
instructor) is one ``members.patch``: inserting first would only be refused with "already a
member" and read back. If the member left the group outside misena, the patch's 404 says so
and the member joins again.
"""

from __future__ import annotations

import threading

from app.accounts.google_calls import GoogleCall
from app.logging_setup import get_logger
from sofia_sync.planner import GroupAction, JoinGroup
from sofia_sync.policy import FichaGroup
from workspace.errors import AlreadyExists, NotFound
from workspace.ports import Directory

log = get_logger(__name__)


class FichaGroups:
    def __init__(self, directory: Directory) -> None:
        self._directory = directory
        self._known: set[str] = set()
        self._lock = threading.Lock()
        self._looking: dict[str, threading.Lock] = {}

    def ensure(self, group: FichaGroup) -> None:
        with self._lock:
            if group.email in self._known:
                return
            looking = self._looking.setdefault(group.email, threading.Lock())
        with looking:
            with self._lock:
                if group.email in self._known:
                    return  # another thread looked it up while this one waited
            if self._directory.get_group(group.email) is None:
                try:
                    self._directory.create_group(group.email, group.name, "Ficha group managed by misena")
                    log.info("ficha_group_created", group=group.email)
                except AlreadyExists:
                    pass  # another worker created it a moment ago
            with self._lock:
                self._known.add(group.email)
                self._looking.pop(group.email, None)

    def calls(
        self, actions: list[GroupAction], member: str, applied: dict[str, str] | None, *, existing: bool
    ) -> list[GoogleCall]:
        """The calls :meth:`apply` makes for ``actions``, reading Google where its answer decides
        them, as :meth:`apply` would meet it: a group this process has not seen is looked up
        (``groups.get``, then ``groups.insert`` if missing), and an ``existing`` account's
        membership misena has no record of is read (``members.get``: a 409 to the insert, then
        that read, and a role change if it differs). A membership misena recorded is taken to be
        there still (one ``members.patch``)."""
        calls: list[GoogleCall] = []
        for action in actions:
            if not isinstance(action, JoinGroup):
                left = GoogleCall("directory", "members.delete", action.group_email, {"member": member})
                calls.append(left)
                continue
            group, change = action.group, {"member": member, "role": action.group.role}
            if (applied or {}).get(group.email):
                calls.append(GoogleCall("directory", "members.patch", group.email, change))
                continue
            with self._lock:
                known = group.email in self._known
            if not known:
                calls.append(GoogleCall("directory", "groups.get", group.email))
                if self._directory.get_group(group.email) is None:
                    calls.append(GoogleCall("directory", "groups.insert", group.email, {"name": group.name}))
            current = self._directory.get_member(group.email, member) if existing else None
            calls.append(GoogleCall("directory", "members.insert", group.email, change))
            if current is not None:
                calls.append(
                    GoogleCall("directory", "members.get", group.email, note="409: already a member")
                )
                if current.role != group.role:
                    calls.append(GoogleCall("directory", "members.patch", group.email, change))
        return calls

    def apply(
        self, actions: list[GroupAction], member: str, applied: dict[str, str] | None
    ) -> dict[str, str]:
        """Run ``actions`` for the account ``member``; returns the memberships now in place."""
        memberships = dict(applied or {})
        for action in actions:
            if isinstance(action, JoinGroup):
                self._join(action.group, member, recorded=bool(memberships.get(action.group.email)))
                memberships[action.group.email] = action.group.role
            else:
                self._directory.remove_member(action.group_email, member)
                memberships.pop(action.group_email, None)
        return memberships

    def _join(self, group: FichaGroup, member: str, *, recorded: bool) -> None:
        """``recorded``: misena's records say it added this member (in another role)."""
        if recorded:
            try:
                self._directory.set_member_role(group.email, member, group.role)
                return
            except NotFound:
                pass  # removed outside misena, or the group itself is gone: join it again
        self.ensure(group)
        if self._directory.add_member(group.email, member, group.role):
            return
        current = self._directory.get_member(group.email, member)
        if current is not None and current.role != group.role:
            self._directory.set_member_role(group.email, member, group.role)
