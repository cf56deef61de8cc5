"""Desired account vs the account Google has → the actions that close the gap. Pure.

The reconcile job runs ``plan(desired_account(person), get_user(address))`` and executes
what comes back; run again after success it must plan nothing (the tests check this
property on random accounts). Which accounts may be touched at all is
:mod:`sofia_sync.ownership`'s decision; whether the account should be suspended is
:mod:`sofia_sync.lifecycle`'s. Two suspension rules live here: no account is created only
to be suspended, and an account suspended by someone else (an admin, Google) is never
reactivated by misena — only one misena itself suspended for lifecycle reasons is.

Two rules about personal contact data: a value Sofia does not give (no usable email or
mobile) never clears what the account has — the person may have set it themselves — and
the Sofia mobile replaces other ``mobile`` phones (it is the one recovery codes go to).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import SecretStr

from sofia_sync.ownership import our_external_ids, ownership
from sofia_sync.patch_semantics import apply_changes
from sofia_sync.policy import DesiredAccount, FichaGroup
from workspace.models import ExternalId, NewUser, Phone, UserChanges, UserName, WorkspaceUser

__all__ = [
    "Action",
    "CreateAccount",
    "GroupAction",
    "JoinGroup",
    "LeaveExcluded",
    "LeaveGroup",
    "LeaveSuspended",
    "ReactivateAccount",
    "RefuseForeignAccount",
    "SuspendAccount",
    "UpdateAccount",
    "account_changes",
    "apply_changes",
    "plan",
    "plan_groups",
    "to_new_user",
]

MOBILE = "mobile"
_Entry = TypeVar("_Entry", ExternalId, Phone)


@dataclass(frozen=True)
class CreateAccount:
    desired: DesiredAccount


@dataclass(frozen=True)
class UpdateAccount:
    """Patch the account now at ``primary_email`` (before any rename ``changes`` makes)."""

    primary_email: str
    changes: UserChanges
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class RefuseForeignAccount:
    """``primary_email`` (the address we want) is held by an account misena must not touch."""

    primary_email: str
    reason: str


@dataclass(frozen=True)
class LeaveExcluded:
    """The account is in the configured exclusions: not a conflict, nothing to fix — misena
    leaves it alone by design. ``reason`` names the setting, never the address."""

    primary_email: str
    reason: str


@dataclass(frozen=True)
class SuspendAccount:
    user_key: str
    reason: str


@dataclass(frozen=True)
class ReactivateAccount:
    user_key: str
    reason: str


@dataclass(frozen=True)
class LeaveSuspended:
    """The person should be active, but the account was suspended outside misena."""

    user_key: str
    reason: str


Action = (
    CreateAccount
    | UpdateAccount
    | RefuseForeignAccount
    | LeaveExcluded
    | SuspendAccount
    | ReactivateAccount
    | LeaveSuspended
)


@dataclass(frozen=True)
class JoinGroup:
    """Add the member (or change their role) — 409 "already a member" counts as done."""

    group: FichaGroup


@dataclass(frozen=True)
class LeaveGroup:
    group_email: str


GroupAction = JoinGroup | LeaveGroup


def to_new_user(desired: DesiredAccount, password: SecretStr) -> NewUser:
    """Every field of the account in one ``users.insert`` (never insert-then-patch)."""
    return NewUser(
        primary_email=desired.primary_email,
        name=UserName(given_name=desired.given_name, family_name=desired.family_name),
        password=password,
        change_password_at_next_login=True,
        org_unit_path=desired.org_unit_path,
        recovery_email=desired.recovery_email,
        recovery_phone=desired.recovery_phone,
        external_ids=[_our_external_id(desired)],
        phones=[_our_phone(desired.recovery_phone)] if desired.recovery_phone else [],
        custom_schemas={desired.custom_schema: copy.deepcopy(desired.custom_schema_values)},
    )


def plan(
    desired: DesiredAccount, actual: WorkspaceUser | None, *, we_suspended: bool = False
) -> list[Action]:
    """``we_suspended``: the account's suspension is one misena made (recorded on our side)."""
    if actual is None:
        return [] if desired.suspended else [CreateAccount(desired)]
    verdict = ownership(desired, actual)
    if verdict.excluded_by is not None:
        return [LeaveExcluded(desired.primary_email, verdict.reason)]
    if not verdict.managed:
        return [RefuseForeignAccount(desired.primary_email, verdict.reason)]
    actions: list[Action] = []
    changes, reasons = account_changes(desired, actual)
    if not changes.is_empty():
        actions.append(UpdateAccount(actual.primary_email, changes, reasons))
    actions.extend(_suspension(desired, actual, we_suspended))
    return actions


def _suspension(desired: DesiredAccount, actual: WorkspaceUser, we_suspended: bool) -> list[Action]:
    if desired.suspended and not actual.suspended:
        return [SuspendAccount(actual.id, desired.standing_reason)]
    if not desired.suspended and actual.suspended:
        if we_suspended:
            return [ReactivateAccount(actual.id, desired.standing_reason)]
        return [LeaveSuspended(actual.id, "suspended outside misena; only IT staff may reactivate it")]
    return []


def plan_groups(desired: DesiredAccount, applied: dict[str, str] | None) -> list[GroupAction]:
    """Ficha group changes against the memberships misena last applied.

    ``applied`` (group address → role) is what misena recorded, not a read of every group:
    listing a user's groups would cost calls on every reconcile. ``None`` (never recorded)
    joins every desired group; joining is idempotent, so that is always safe.
    """
    current = applied or {}
    wanted = {group.email: group for group in desired.groups}
    actions: list[GroupAction] = [
        JoinGroup(group) for email, group in wanted.items() if current.get(email) != group.role
    ]
    actions.extend(LeaveGroup(email) for email in sorted(current) if email not in wanted)
    return actions


def account_changes(desired: DesiredAccount, actual: WorkspaceUser) -> tuple[UserChanges, tuple[str, ...]]:
    """Only the fields that differ, each named in ``reasons`` (in field order)."""
    fields: dict[str, Any] = {}
    if actual.primary_email.casefold() != desired.primary_email.casefold():
        fields["primary_email"] = desired.primary_email
    if (actual.name.given_name, actual.name.family_name) != (
        desired.given_name,
        desired.family_name,
    ):
        fields["name"] = UserName(given_name=desired.given_name, family_name=desired.family_name)
    if actual.org_unit_path != desired.org_unit_path:
        fields["org_unit_path"] = desired.org_unit_path
    if desired.recovery_email is not None and (
        (actual.recovery_email or "").casefold() != desired.recovery_email.casefold()
    ):
        fields["recovery_email"] = desired.recovery_email
    if desired.recovery_phone is not None and actual.recovery_phone != desired.recovery_phone:
        fields["recovery_phone"] = desired.recovery_phone
    external_ids = _external_ids(desired, actual.external_ids)
    if external_ids is not None:
        fields["external_ids"] = external_ids
    phones = _phones(desired.recovery_phone, actual.phones)
    if phones is not None:
        fields["phones"] = phones
    if not _schema_matches(desired, actual.custom_schemas.get(desired.custom_schema) or {}):
        fields["custom_schemas"] = {desired.custom_schema: copy.deepcopy(desired.custom_schema_values)}
    return UserChanges(**fields), tuple(fields)


def _our_external_id(desired: DesiredAccount) -> ExternalId:
    return ExternalId(value=desired.external_id, type=desired.external_id_type)


def _our_phone(e164: str) -> Phone:
    return Phone(value=e164, type=MOBILE)


def _external_ids(desired: DesiredAccount, current: list[ExternalId]) -> list[ExternalId] | None:
    """Ours exactly once, in place; our other spellings and former documents dropped; the
    others kept. ``None`` when that is what the account already has."""
    ours = our_external_ids(desired)
    result: list[ExternalId] = []
    found = False
    for entry in current:
        mine = entry.type == desired.external_id_type and entry.value.casefold() in ours
        if not mine:
            result.append(entry)
        elif entry.value == desired.external_id and entry.custom_type is None and not found:
            result.append(entry)
            found = True
    if not found:
        result.append(_our_external_id(desired))
    return None if result == current else [_complete(entry) for entry in result]


def _phones(e164: str | None, current: list[Phone]) -> list[Phone] | None:
    """The Sofia mobile exactly once, in place; other mobiles dropped, other phones kept."""
    if e164 is None:
        return None
    result: list[Phone] = []
    found = False
    for phone in current:
        if phone.type != MOBILE:
            result.append(phone)
        elif phone.value == e164 and not found:
            result.append(phone)
            found = True
    if not found:
        result.append(_our_phone(e164))
    return None if result == current else [_complete(phone) for phone in result]


def _complete(entry: _Entry) -> _Entry:
    """The entry with every non-null field marked as set, so the patch body (built with
    ``exclude_unset``) re-sends a kept entry whole: Google replaces repeated fields.

    Only done once a change is certain: comparing (pydantic compares the values, not which
    were set) is what every unchanged account of a bulk plan costs."""
    return type(entry).model_validate(entry.model_dump(exclude_none=True))


def _schema_matches(desired: DesiredAccount, current: dict[str, Any]) -> bool:
    """Our fields only (others are left alone); multi-valued fields compare as sets of values,
    and a missing multi-valued field equals an empty one."""
    for field, wanted in desired.custom_schema_values.items():
        if isinstance(wanted, list):
            if sorted(_values(wanted)) != sorted(_values(current.get(field) or [])):
                return False
        elif current.get(field) != wanted:
            return False
    return True


def _values(entries: list[Any]) -> list[str]:
    """Google returns multi-valued entries as ``{"value": ..., "type": ...}`` objects."""
    return [str(e.get("value")) if isinstance(e, dict) else str(e) for e in entries]
