"""Users of the emulated Directory: insert, get, update/patch, list — with Google's rules.

Functions take the state (already locked by the caller) and JSON bodies, and return the JSON
resource Google would answer, or raise :class:`GoogleApiError` with Google's reason.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from workspace.emulator.body_validation import validate_body
from workspace.emulator.errors import GoogleApiError, duplicate, invalid, not_found
from workspace.emulator.field_rules import check_password_matches, check_user_fields
from workspace.emulator.paging import Page, paginate
from workspace.emulator.partial_response import FieldMask, Trimmed, apply_fields
from workspace.emulator.state import EmulatorState, StoredUser, rfc3339
from workspace.emulator.user_query import parse_user_query

#: Fields Google computes and never takes from a request body.
READ_ONLY_FIELDS = frozenset(
    {
        "id", "kind", "etag", "isAdmin", "isDelegatedAdmin", "lastLoginTime", "creationTime",
        "agreedToTerms", "customerId", "isMailboxSetup", "isEnrolledIn2Sv", "isEnforcedIn2Sv",
        "nonEditableAliases", "aliases", "deletionTime", "suspensionReason", "thumbnailPhotoUrl",
        "thumbnailPhotoEtag", "isGuestUser", "guestAccountInfo", "suspensionTime",
    }
)  # fmt: skip
SECRET_FIELDS = ("password", "hashFunction")
NOT_COMPLETE = "User creation is not complete."
SEATS_EXHAUSTED = "Domain user limit reached."


def _etag(resource: Mapping[str, Any]) -> str:
    digest = hashlib.sha1(repr(sorted(resource.items())).encode(), usedforsecurity=False)
    return f'"{digest.hexdigest()}"'


def require_org_unit(state: EmulatorState, path: str) -> str:
    normalized = "/" + path.strip("/") if path.strip("/") else "/"
    for known in state.org_units:
        if known.lower() == normalized.lower():
            return known
    raise invalid("Invalid Input: INVALID_OU_ID")


def _check_custom_schemas(state: EmulatorState, custom: Any) -> None:
    if custom is None:
        return
    for schema_name, values in custom.items():
        schema = state.schemas.get(schema_name)
        if schema is None:
            raise invalid(f"Invalid Input: custom schema {schema_name} not found")
        known = {f["fieldName"] for f in schema.get("fields", [])}
        unknown = sorted(set(values or {}) - known)
        if unknown:
            raise invalid(f"Invalid Input: custom schema field {schema_name}.{unknown[0]}")


def _check_domain(state: EmulatorState, address: str) -> None:
    domain = address.rsplit("@", 1)[-1].lower()
    if domain != state.config.domain.lower():
        raise GoogleApiError(400, "invalid", "Invalid Input: primary_user_email")


def _full_name(resource: dict[str, Any]) -> None:
    name = resource.get("name") or {}
    name["fullName"] = f"{name.get('givenName', '')} {name.get('familyName', '')}".strip()
    resource["name"] = name


def derive_emails(resource: dict[str, Any]) -> None:
    """Google lists the primary address and aliases in ``emails`` alongside any given ones.

    Only the primary address is ``primary: true``: after a rename the old primary (listed so by
    the previous derivation, or in a body read back and sent again) stays as a plain entry.
    """
    given = [e for e in resource.get("emails") or [] if isinstance(e, dict)]
    addresses = {str(e.get("address", "")).lower() for e in given}
    result = [{"address": resource["primaryEmail"], "primary": True}]
    for entry in given:
        if str(entry.get("address", "")).lower() != result[0]["address"]:
            result.append({k: v for k, v in entry.items() if k != "primary"})
    for alias in resource.get("aliases", []):
        if alias.lower() not in addresses:
            result.append({"address": alias})
    resource["emails"] = result


def _suspension(resource: dict[str, Any], was_suspended: bool, state: EmulatorState) -> None:
    if resource.get("suspended"):
        resource.setdefault("suspensionReason", "ADMIN")
        if not was_suspended:
            resource["suspensionTime"] = rfc3339(state.wall_now())
    else:
        resource.pop("suspensionReason", None)
        resource.pop("suspensionTime", None)


def insert_user(state: EmulatorState, body: Any) -> dict[str, Any]:
    validate_body("admin.directory_v1", "User", body)
    check_user_fields(body, creating=True)
    _check_domain(state, body["primaryEmail"])
    if state.address_taken(body["primaryEmail"]):
        raise duplicate()
    limit = state.config.user_seat_limit
    if limit is not None and len(state.users) >= limit:
        raise GoogleApiError(412, "conditionNotMet", SEATS_EXHAUSTED)
    org_unit = require_org_unit(state, body.get("orgUnitPath") or "/")
    _check_custom_schemas(state, body.get("customSchemas"))
    user_id = state.next_id()
    resource = {k: copy.deepcopy(v) for k, v in body.items() if k not in READ_ONLY_FIELDS}
    for secret in SECRET_FIELDS:
        resource.pop(secret, None)
    resource.update(
        {
            "kind": "admin#directory#user",
            "id": user_id,
            "primaryEmail": body["primaryEmail"].lower(),
            "orgUnitPath": org_unit,
            "isAdmin": False,
            "isDelegatedAdmin": False,
            "lastLoginTime": "1970-01-01T00:00:00.000Z",
            "creationTime": rfc3339(state.wall_now()),
            "agreedToTerms": False,
            "suspended": bool(body.get("suspended", False)),
            "archived": bool(body.get("archived", False)),
            "changePasswordAtNextLogin": bool(body.get("changePasswordAtNextLogin", False)),
            "ipWhitelisted": False,
            "customerId": state.config.customer_id,
            "isMailboxSetup": True,
            "isEnrolledIn2Sv": False,
            "isEnforcedIn2Sv": False,
            "includeInGlobalAddressList": bool(body.get("includeInGlobalAddressList", True)),
        }
    )
    _full_name(resource)
    _suspension(resource, False, state)
    derive_emails(resource)
    stored = StoredUser(
        resource=resource,
        password=body["password"],
        hash_function=body.get("hashFunction"),
        visible_at=state.now() + state.config.consistency_delay_seconds,
    )
    state.users[user_id] = stored
    state.user_addresses[resource["primaryEmail"]] = user_id
    state.visible_from = max(state.visible_from, stored.visible_at)
    state.users_changed()
    return public_view(state, stored, projection="full")


def public_view(
    state: EmulatorState, stored: StoredUser, *, projection: str = "basic", mask: str = ""
) -> dict[str, Any]:
    """The resource as Google returns it: custom schemas only with ``full``/``custom``."""
    resource = copy.deepcopy(_projected(stored.resource, projection, mask))
    resource["etag"] = _user_etag(stored)
    return resource


def find_user(state: EmulatorState, key: str, *, writing: bool = False) -> StoredUser:
    """Resolve ``userKey``; a user still being created answers as Google's does meanwhile."""
    user_id = state.lookup_user_id(key)
    if user_id is None:
        raise not_found("Resource Not Found: userKey")
    stored = state.users[user_id]
    if state.now() < stored.visible_at:
        mode = state.config.consistency_mode
        if mode == "412" or (mode == "realistic" and writing):
            raise GoogleApiError(412, "conditionNotMet", NOT_COMPLETE)
        raise not_found("Resource Not Found: userKey")
    return stored


def update_user(state: EmulatorState, key: str, body: Any) -> dict[str, Any]:
    """Both ``update`` and ``patch``: Google documents patch semantics for users.update too.

    Absent fields are kept, ``null`` clears, repeated fields are replaced whole.
    """
    validate_body("admin.directory_v1", "User", body)
    check_user_fields(body, creating=False)
    stored = find_user(state, key, writing=True)
    resource = stored.resource
    changes = {k: v for k, v in body.items() if k not in READ_ONLY_FIELDS and k not in SECRET_FIELDS}
    if changes.get("primaryEmail"):
        _rename(state, stored, changes.pop("primaryEmail"))
    if changes.get("orgUnitPath"):
        changes["orgUnitPath"] = require_org_unit(state, changes["orgUnitPath"])
    if "customSchemas" in changes:
        _check_custom_schemas(state, changes["customSchemas"])
        merged = copy.deepcopy(resource.get("customSchemas") or {})
        for schema_name, values in (changes.pop("customSchemas") or {}).items():
            merged.setdefault(schema_name, {}).update(values or {})
        resource["customSchemas"] = merged
    if "name" in changes and isinstance(changes["name"], dict):
        resource["name"] = {**resource.get("name", {}), **changes.pop("name")}
    was_suspended = bool(resource.get("suspended"))
    for field_name, value in changes.items():
        if value is None:
            resource.pop(field_name, None)
        else:
            resource[field_name] = copy.deepcopy(value)
    if body.get("password"):
        stored.password = body["password"]
        stored.hash_function = body.get("hashFunction")
    _full_name(resource)
    _suspension(resource, was_suspended, state)
    derive_emails(resource)
    state.users_changed()
    return public_view(state, stored, projection="full")


def _rename(state: EmulatorState, stored: StoredUser, new_address: str) -> None:
    """A rename keeps the old address as an alias, as Google does."""
    resource = stored.resource
    old = resource["primaryEmail"]
    new = new_address.lower()
    if new == old:
        return
    _check_domain(state, new)
    owner = state.user_addresses.get(new)
    if (owner is not None and owner != resource["id"]) or new in state.group_addresses:
        raise duplicate()
    aliases = [a for a in resource.get("aliases", []) if a.lower() != new]
    aliases.append(old)
    resource["aliases"] = aliases
    resource["primaryEmail"] = new
    state.user_addresses[new] = resource["id"]
    _follow_rename_in_groups(state, resource["id"], new)


def _follow_rename_in_groups(state: EmulatorState, user_id: str, new: str) -> None:
    """Google keeps membership by user id: the member entries move to the new primary address."""
    for members in state.members.values():
        for address, member in list(members.items()):
            if member.get("id") == user_id and member.get("type") == "USER":
                del members[address]
                member["email"] = new
                members[new] = member


def check_password(state: EmulatorState, address: str, candidate: str) -> bool:
    user_id = state.lookup_user_id(address)
    if user_id is None:
        return False
    stored = state.users[user_id]
    return check_password_matches(stored.password, stored.hash_function, candidate)


def list_users(
    state: EmulatorState,
    *,
    query: str,
    max_results: int,
    page_token: str | None,
    order_by: str,
    sort_order: str,
    projection: str,
    custom_field_mask: str,
    fields: FieldMask | None = None,
) -> dict[str, Any]:
    """``fields``: the request's partial-response mask, if any. The caller trims the answer to it
    anyway; knowing it here lets a page of 500 users be trimmed from the stored resources
    directly instead of deep-copying every whole user first (most of a big listing's cost)."""
    if not 1 <= max_results <= 500:
        raise invalid("Invalid Input: maxResults", location="maxResults")
    matching = _matching_users(state, query, order_by, sort_order)
    binding = f"users|{query}|{order_by}|{sort_order}"
    return list_page(
        state, matching, binding, max_results=max_results, page_token=page_token,
        projection=projection, custom_field_mask=custom_field_mask, fields=fields,
    )  # fmt: skip


def list_page(
    state: EmulatorState,
    matching: Sequence[StoredUser],
    binding: str,
    *,
    max_results: int,
    page_token: str | None,
    projection: str,
    custom_field_mask: str,
    fields: FieldMask | None,
) -> dict[str, Any]:
    """One ``users.list`` page of ``matching`` (sorted already), paged under ``binding``."""
    page: Page[StoredUser] = paginate(matching, max_results, page_token, binding)
    result: dict[str, Any] = {
        "kind": "admin#directory#users",
        "etag": _etag({"n": len(matching)}),
        "users": _page_views(state, page.items, projection, custom_field_mask, fields),
    }
    if page.next_token:
        result["nextPageToken"] = page.next_token
    if not result["users"]:
        del result["users"]
    if fields is None:
        return result
    # The users are trimmed already; the rest are scalars, kept whole or not at all.
    kept = {
        key: value for key, value in result.items() if key == "users" or fields.selection(key) == (True, None)
    }
    return Trimmed(kept)


def _page_views(
    state: EmulatorState,
    listed: Sequence[StoredUser],
    projection: str,
    custom_field_mask: str,
    fields: FieldMask | None,
) -> list[dict[str, Any]]:
    wanted, users_mask = fields.selection("users") if fields is not None else (True, None)
    if not wanted:
        return []
    if users_mask is None:
        return [public_view(state, u, projection=projection, mask=custom_field_mask) for u in listed]
    # apply_fields copies what it keeps, so the stored resources are read, never shared
    views = []
    for stored in listed:
        view = _projected(stored.resource, projection, custom_field_mask)
        if users_mask.selection("etag")[0]:
            view["etag"] = _user_etag(stored)
        views.append(apply_fields(view, users_mask))
    return views


def _user_etag(stored: StoredUser) -> str:
    return _etag({k: repr(v) for k, v in stored.resource.items()})


def _projected(resource: dict[str, Any], projection: str, custom_field_mask: str) -> dict[str, Any]:
    """A shallow view of ``resource`` with the custom schemas ``projection`` asks for."""
    view = dict(resource)
    if projection == "basic":
        view.pop("customSchemas", None)
    elif projection == "custom":
        wanted = {name.strip() for name in custom_field_mask.split(",") if name.strip()}
        if not wanted:
            raise invalid("Invalid Input: customFieldMask", location="customFieldMask")
        custom = resource.get("customSchemas") or {}
        view["customSchemas"] = {k: v for k, v in custom.items() if k in wanted}
    return view


def _matching_users(state: EmulatorState, query: str, order_by: str, sort_order: str) -> list[StoredUser]:
    """The visible users ``query`` selects, sorted; cached while no user changes or appears."""
    key = (query, order_by.lower(), sort_order.upper())
    now = state.now()
    cached = state.list_cache.get(key)
    if cached is not None and now >= state.visible_from:
        return cached
    matcher = parse_user_query(query)
    by = sort_key(order_by)
    matching = [u for u in state.users.values() if u.visible_at <= now and matcher.matches(u.resource)]
    matching.sort(key=by, reverse=key[2] == "DESCENDING")
    if now >= state.visible_from:
        state.list_cache[key] = matching
    return matching


def sort_key(order_by: str) -> Any:
    """The ``orderBy`` of ``users.list`` as a sort key over stored users (400 if unknown)."""
    fields = {
        "email": lambda u: u.resource["primaryEmail"],
        "givenname": lambda u: (u.resource["name"].get("givenName", "").lower(), u.resource["id"]),
        "familyname": lambda u: (
            u.resource["name"].get("familyName", "").lower(),
            u.resource["id"],
        ),
    }
    key = fields.get(order_by.lower())
    if key is None:
        raise invalid("Invalid Input: orderBy", location="orderBy")
    return key
