"""Deleted users of the emulated Directory: ``users.delete``, ``users.list?showDeleted=true``
and ``users.undelete``, as Google does them.

Google keeps a deleted user about 20 days: it vanishes from ``get``/``list``/every lookup at
once and its addresses (primary and aliases) are free for someone else, but an admin can
restore it by its immutable id, into an org unit they choose, with its password, suspension
and data — unless its address or an alias was given to another user or a group meanwhile.
After the 20 days it is purged for good (by the emulator's clock, so tests advance it).

Listing deleted users ignores ``query`` (Google only filters the live directory; clients
filter deleted users themselves) and never shows aliases, which deletion released.
"""

from __future__ import annotations

from typing import Any

from workspace.emulator.body_validation import validate_body
from workspace.emulator.directory_users import derive_emails, find_user, list_page, require_org_unit, sort_key
from workspace.emulator.errors import duplicate, invalid, not_found
from workspace.emulator.partial_response import FieldMask
from workspace.emulator.state import (
    DELETED_USER_RETENTION_SECONDS,
    DeletedUser,
    EmulatorState,
    rfc3339,
)


def purge_expired(state: EmulatorState) -> None:
    """Forget deleted users whose retention ended: from then on they cannot be restored."""
    now = state.now()
    for user_id in [i for i, d in state.deleted_users.items() if d.purge_at <= now]:
        del state.deleted_users[user_id]


def delete_user(state: EmulatorState, key: str) -> None:
    """``users.delete``: by address, alias or id; answered 204 with no body."""
    purge_expired(state)
    stored = find_user(state, key, writing=True)
    resource = stored.resource
    user_id = resource["id"]
    aliases = list(resource.pop("aliases", []))
    released = {resource["primaryEmail"].lower(), *(a.lower() for a in aliases)}
    for address in released:
        if state.user_addresses.get(address) == user_id:
            del state.user_addresses[address]
    resource["emails"] = [
        entry
        for entry in resource.get("emails", [])
        if entry.get("primary") or str(entry.get("address", "")).lower() not in released
    ]
    memberships: dict[str, dict[str, Any]] = {}
    for group_id, members in state.members.items():
        for address, member in list(members.items()):
            if member.get("id") == user_id and member.get("type") == "USER":
                memberships[group_id] = members.pop(address)
    resource["deletionTime"] = rfc3339(state.wall_now())
    del state.users[user_id]
    state.deleted_users[user_id] = DeletedUser(
        stored=stored,
        purge_at=state.now() + DELETED_USER_RETENTION_SECONDS,
        aliases=aliases,
        memberships=memberships,
    )
    state.users_changed()


def list_deleted_users(
    state: EmulatorState,
    *,
    max_results: int,
    page_token: str | None,
    order_by: str,
    sort_order: str,
    projection: str,
    custom_field_mask: str,
    fields: FieldMask | None = None,
) -> dict[str, Any]:
    """``users.list`` with ``showDeleted=true``: the deleted users not purged yet, paged."""
    if not 1 <= max_results <= 500:
        raise invalid("Invalid Input: maxResults", location="maxResults")
    purge_expired(state)
    by = sort_key(order_by)
    matching = sorted((d.stored for d in state.deleted_users.values()), key=by)
    if sort_order.upper() == "DESCENDING":
        matching.reverse()
    return list_page(
        state, matching, f"deleted|{order_by}|{sort_order}", max_results=max_results,
        page_token=page_token, projection=projection, custom_field_mask=custom_field_mask,
        fields=fields,
    )  # fmt: skip


def undelete_user(state: EmulatorState, key: str, body: Any) -> None:
    """``users.undelete``: ``key`` is the deleted user's id (an address names no deleted user).

    409 when the address or an alias now belongs to another user or a group, as Google refuses
    a restore whose username was given away. Without ``orgUnitPath`` the user lands in ``/``.
    """
    validate_body("admin.directory_v1", "UserUndelete", body)
    purge_expired(state)
    deleted = state.deleted_users.get(key)
    if deleted is None:
        raise not_found("Resource Not Found: userKey")
    org_unit = require_org_unit(state, body.get("orgUnitPath") or "/")
    stored = deleted.stored
    resource = stored.resource
    addresses = [resource["primaryEmail"], *deleted.aliases]
    if any(state.address_taken(address) for address in addresses):
        raise duplicate("Entity already exists.")
    del state.deleted_users[key]
    resource.pop("deletionTime", None)
    resource["orgUnitPath"] = org_unit
    if deleted.aliases:
        resource["aliases"] = deleted.aliases
    derive_emails(resource)
    for address in addresses:
        state.user_addresses[address.lower()] = key
    for group_id, member in deleted.memberships.items():
        members = state.members.get(group_id)
        if members is not None and resource["primaryEmail"] not in members:
            member["email"] = resource["primaryEmail"]
            members[resource["primaryEmail"]] = member
    # Like a creation, a restore takes a moment to reach every Google backend.
    stored.visible_at = state.now() + state.config.consistency_delay_seconds
    state.visible_from = max(state.visible_from, stored.visible_at)
    state.users[key] = stored
    state.users_changed()
