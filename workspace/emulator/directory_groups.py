"""Groups and group membership of the emulated Directory."""

from __future__ import annotations

import copy
from typing import Any

from workspace.emulator.body_validation import validate_body
from workspace.emulator.directory_users import find_user
from workspace.emulator.errors import GoogleApiError, duplicate, invalid, not_found
from workspace.emulator.paging import paginate
from workspace.emulator.state import EmulatorState

MEMBER_ROLES = ("OWNER", "MANAGER", "MEMBER")


def insert_group(state: EmulatorState, body: Any) -> dict[str, Any]:
    validate_body("admin.directory_v1", "Group", body)
    address = str(body.get("email") or "").lower()
    if "@" not in address:
        raise invalid("Invalid Input: email")
    if address.rsplit("@", 1)[1] != state.config.domain.lower():
        raise GoogleApiError(403, "forbidden", "Not Authorized to access this resource/api")
    if state.address_taken(address):
        raise duplicate()
    group_id = state.next_id(17)
    group = {
        "kind": "admin#directory#group",
        "id": group_id,
        "etag": '"g"',
        "email": address,
        "name": body.get("name") or address.split("@")[0],
        "description": body.get("description", ""),
        "directMembersCount": "0",
        "adminCreated": True,
    }
    state.groups[group_id] = group
    state.group_addresses[address] = group_id
    state.members[group_id] = {}
    state.group_visible_at[group_id] = state.now() + state.config.consistency_delay_seconds
    return copy.deepcopy(group)


def _group_id(state: EmulatorState, key: str) -> str:
    """Resolve ``groupKey``. A group created moments ago answers 404 to reads and member writes
    for the consistency delay, as Google's does while the new group propagates."""
    group_id = state.lookup_group_id(key)
    if group_id is None or state.now() < state.group_visible_at.get(group_id, 0.0):
        raise not_found("Resource Not Found: groupKey")
    return group_id


def get_group(state: EmulatorState, key: str) -> dict[str, Any]:
    group_id = _group_id(state, key)
    group = copy.deepcopy(state.groups[group_id])
    group["directMembersCount"] = str(len(state.members[group_id]))
    return group


def insert_member(state: EmulatorState, group_key: str, body: Any) -> dict[str, Any]:
    validate_body("admin.directory_v1", "Member", body)
    group_id = _group_id(state, group_key)
    role = str(body.get("role") or "MEMBER").upper()
    if role not in MEMBER_ROLES:
        raise invalid("Invalid Input: role")
    member_key = str(body.get("email") or body.get("id") or "")
    if not member_key:
        raise invalid("Missing required field: memberKey")
    member_id, address, member_type = _resolve_member(state, member_key)
    members = state.members[group_id]
    if address in members:
        raise duplicate("Member already exists.")
    member = {
        "kind": "admin#directory#member",
        "etag": '"m"',
        "id": member_id,
        "email": address,
        "role": role,
        "type": member_type,
        "status": "ACTIVE",
        "delivery_settings": body.get("delivery_settings", "ALL_MAIL"),
    }
    members[address] = member
    return copy.deepcopy(member)


def _resolve_member(state: EmulatorState, key: str) -> tuple[str, str, str]:
    """Members inside the domain must exist; outside addresses join as external users."""
    user_id = state.lookup_user_id(key)
    if user_id is not None:
        stored = find_user(state, key, writing=True)
        return user_id, stored.resource["primaryEmail"], "USER"
    group_id = state.lookup_group_id(key)
    if group_id is not None:
        return group_id, state.groups[group_id]["email"], "GROUP"
    if "@" in key and key.rsplit("@", 1)[1].lower() != state.config.domain.lower():
        return state.next_id(21), key.lower(), "USER"
    raise not_found("Resource Not Found: memberKey")


def _member_address(state: EmulatorState, group_id: str, key: str) -> str | None:
    members = state.members[group_id]
    if key.lower() in members:
        return key.lower()
    user_id = state.lookup_user_id(key)
    if user_id is not None:
        primary = str(state.users[user_id].resource["primaryEmail"])
        return primary if primary in members else None
    for address, member in members.items():
        if member["id"] == key:
            return address
    return None


def _require_member(state: EmulatorState, group_id: str, member_key: str) -> str:
    address = _member_address(state, group_id, member_key)
    if address is None:
        raise not_found("Resource Not Found: memberKey")
    return address


def get_member(state: EmulatorState, group_key: str, member_key: str) -> dict[str, Any]:
    group_id = _group_id(state, group_key)
    address = _require_member(state, group_id, member_key)
    return copy.deepcopy(state.members[group_id][address])


def update_member(state: EmulatorState, group_key: str, member_key: str, body: Any) -> dict[str, Any]:
    """Both ``members.update`` and ``members.patch``: only ``role`` and ``delivery_settings`` change.

    Absent (or ``null``) fields are kept; identity fields in the body (email, id, type) are ignored.
    """
    validate_body("admin.directory_v1", "Member", body)
    group_id = _group_id(state, group_key)
    role = body.get("role")
    if role is not None:
        role = str(role).upper()
        if role not in MEMBER_ROLES:
            raise invalid("Invalid Input: role")
    address = _require_member(state, group_id, member_key)
    member = state.members[group_id][address]
    if role is not None:
        member["role"] = role
    if body.get("delivery_settings") is not None:
        member["delivery_settings"] = body["delivery_settings"]
    return copy.deepcopy(member)


def delete_member(state: EmulatorState, group_key: str, member_key: str) -> None:
    group_id = _group_id(state, group_key)
    address = _require_member(state, group_id, member_key)
    del state.members[group_id][address]


def has_member(state: EmulatorState, group_key: str, member_key: str) -> dict[str, Any]:
    group_id = _group_id(state, group_key)
    if state.lookup_user_id(member_key) is None and "@" not in member_key:
        raise invalid("Invalid Input: memberKey")
    return {"isMember": _member_address(state, group_id, member_key) is not None}


def list_members(
    state: EmulatorState, group_key: str, *, roles: str, max_results: int, page_token: str | None
) -> dict[str, Any]:
    group_id = _group_id(state, group_key)
    if not 1 <= max_results <= 200:
        raise invalid("Invalid Input: maxResults", location="maxResults")
    wanted = {r.strip().upper() for r in roles.split(",") if r.strip()}
    members = [m for _, m in sorted(state.members[group_id].items()) if not wanted or m["role"] in wanted]
    page = paginate(members, max_results, page_token, f"members|{group_id}|{roles}")
    result: dict[str, Any] = {"kind": "admin#directory#members", "etag": '"ms"'}
    if page.items:
        result["members"] = [copy.deepcopy(m) for m in page.items]
    if page.next_token:
        result["nextPageToken"] = page.next_token
    return result
