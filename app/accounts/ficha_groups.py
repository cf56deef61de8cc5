"""Ficha groups in Google: created on first need, memberships joined and left.

Each operation is idempotent on Google's side (409 "already a member" and 404 "not a member"
both mean done), so a job that dies half-way is simply run again.

The membership insert is the group's check: Google answers it 404 "Resource Not Found:
groupKey" when the group is missing, and only then is the group created and the insert made
again. So a ficha whose group exists costs no lookup at all — N apprentices, N memberships — and
a new ficha one failed insert and one ``groups.insert``, what a ``groups.get`` first would have
cost anyway. The first thread of a process to meet a ficha does this while the others wait for
it (one lock per group), so a dozen threads reaching a new ficha together create it once. A
group created moments ago can still answer 404 to the insert that follows (Google propagates a
new group as it does a new user): the job is then retried later (:class:`NotReady`).

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
from workspace.errors import AlreadyExists, GroupNotFound, NotFound, NotReady
from workspace.ports import Directory

log = get_logger(__name__)
MISSING_GROUP_NOTE = "404 groupKey: the group does not exist yet"


class FichaGroups:
    def __init__(self, directory: Directory) -> None:
        self._directory = directory
        self._known: set[str] = set()
        self._lock = threading.Lock()
        self._meeting: dict[str, threading.Lock] = {}

    def calls(
        self, actions: list[GroupAction], member: str, applied: dict[str, str] | None, *, existing: bool
    ) -> tuple[list[GoogleCall], list[GoogleCall]]:
        """The calls :meth:`apply` makes for ``actions`` and the reads this prediction made,
        reading Google where its answer decides them, as :meth:`apply` would meet it: a group
        this process has not seen is read here (``groups.get``; if missing, the insert fails,
        the group is created and the insert made again), and an ``existing`` account's
        membership misena has no record of is read (``members.get``: a 409 to the insert, then
        that read, and a role change if it differs). A membership misena recorded is taken to be
        there still (one ``members.patch``)."""
        calls: list[GoogleCall] = []
        reads: list[GoogleCall] = []
        for action in actions:
            if not isinstance(action, JoinGroup):
                left = GoogleCall("directory", "members.delete", action.group_email, {"member": member})
                calls.append(left)
                continue
            group, change = action.group, {"member": member, "role": action.group.role}
            if (applied or {}).get(group.email):
                calls.append(GoogleCall("directory", "members.patch", group.email, change))
                continue
            if not self._is_known(group):
                missing = self._directory.get_group(group.email) is None
                note = MISSING_GROUP_NOTE if missing else ""
                reads.append(GoogleCall("directory", "groups.get", group.email, note=note))
                if missing:
                    calls.append(GoogleCall("directory", "members.insert", group.email, change, note=note))
                    calls.append(GoogleCall("directory", "groups.insert", group.email, {"name": group.name}))
            current = self._directory.get_member(group.email, member) if existing else None
            calls.append(GoogleCall("directory", "members.insert", group.email, change))
            if current is not None:
                calls.append(
                    GoogleCall("directory", "members.get", group.email, note="409: already a member")
                )
                if current.role != group.role:
                    calls.append(GoogleCall("directory", "members.patch", group.email, change))
        return calls, reads

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
        if self._add(group, member):
            return
        current = self._directory.get_member(group.email, member)
        if current is not None and current.role != group.role:
            self._directory.set_member_role(group.email, member, group.role)

    def _add(self, group: FichaGroup, member: str) -> bool:
        """Insert the membership, creating the group if Google says it is missing; ``False``
        when the member was already in it."""
        if self._is_known(group):
            try:
                return self._directory.add_member(group.email, member, group.role)
            except GroupNotFound:
                self._forget(group)  # deleted outside misena: create it, no second refused insert
                return self._meet(group, member, missing=True)
        return self._meet(group, member, missing=False)

    def _meet(self, group: FichaGroup, member: str, *, missing: bool) -> bool:
        """The first membership of a group this process does not know, one thread at a time:
        the insert, and only if Google says the group is missing, its creation and the insert
        again."""
        with self._lock:
            meeting = self._meeting.setdefault(group.email, threading.Lock())
        with meeting:
            if self._is_known(group):  # another thread met it while this one waited
                return self._directory.add_member(group.email, member, group.role)
            added = False
            if not missing:
                try:
                    added = self._directory.add_member(group.email, member, group.role)
                except GroupNotFound:
                    missing = True
            if missing:
                added = self._create_and_add(group, member)
            self._remember(group)
            return added

    def _create_and_add(self, group: FichaGroup, member: str) -> bool:
        try:
            self._directory.create_group(group.email, group.name, "Ficha group managed by misena")
            log.info("ficha_group_created", group=group.email)
        except AlreadyExists:
            pass  # another process created it a moment ago
        try:
            return self._directory.add_member(group.email, member, group.role)
        except GroupNotFound as exc:
            message = f"group {group.email} was just created and is not visible yet"
            raise NotReady(message, status=404) from exc

    def _is_known(self, group: FichaGroup) -> bool:
        with self._lock:
            return group.email in self._known

    def _remember(self, group: FichaGroup) -> None:
        with self._lock:
            self._known.add(group.email)
            self._meeting.pop(group.email, None)

    def _forget(self, group: FichaGroup) -> None:
        with self._lock:
            self._known.discard(group.email)
