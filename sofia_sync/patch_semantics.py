"""What Google's ``users.update`` makes of an account, given a :class:`UserChanges`.

It mirrors the Directory's documented patch semantics (and the emulator's): fields not sent
are kept, ``null`` clears, repeated fields are replaced whole, ``name`` and each custom
schema are merged field by field, and a new primary address keeps the old one as an alias.
The planner's tests use it to check that a plan, once applied, plans nothing more.
"""

from __future__ import annotations

import copy
from typing import Any

from workspace.models import UserChanges, WorkspaceUser


def apply_changes(actual: WorkspaceUser, changes: UserChanges) -> WorkspaceUser:
    data = actual.model_dump()
    for name in changes.model_fields_set:
        value = getattr(changes, name)
        if name == "name" and value is not None:
            data["name"] = _merged_name(data["name"], value.model_dump(exclude_unset=True))
        elif name == "custom_schemas" and value is not None:
            data["custom_schemas"] = _merged_schemas(data["custom_schemas"], value)
        elif name == "primary_email" and value is not None:
            _rename(data, value)
        elif value is None:
            data[name] = WorkspaceUser.model_fields[name].get_default(call_default_factory=True)
        else:
            data[name] = copy.deepcopy(_plain(value))
    return WorkspaceUser.model_validate(data)


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [item.model_dump() if hasattr(item, "model_dump") else item for item in value]
    return value


def _merged_name(current: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    merged = {**current, **sent}
    merged["full_name"] = f"{merged['given_name']} {merged['family_name']}".strip()
    return merged


def _merged_schemas(
    current: dict[str, dict[str, Any]], sent: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    merged = copy.deepcopy(current)
    for schema, values in sent.items():
        merged.setdefault(schema, {}).update(copy.deepcopy(values or {}))
    return merged


def _rename(data: dict[str, Any], new_address: str) -> None:
    old, new = data["primary_email"], new_address.lower()
    if new == old.lower():
        return
    aliases = [alias for alias in data["aliases"] if alias.lower() != new]
    data["aliases"] = [*aliases, old]
    data["primary_email"] = new
