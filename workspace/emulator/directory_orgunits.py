"""Org units and custom user schemas of the emulated Directory."""

from __future__ import annotations

import copy
from typing import Any

from workspace.emulator.body_validation import validate_body
from workspace.emulator.errors import GoogleApiError, duplicate, invalid
from workspace.emulator.state import EmulatorState

ORG_UNIT_NOT_FOUND = "Org unit not found"
SCHEMA_FIELD_TYPES = frozenset({"STRING", "INT64", "BOOL", "DOUBLE", "EMAIL", "PHONE", "DATE"})


def ensure_root(state: EmulatorState) -> None:
    state.org_units.setdefault(
        "/",
        {
            "kind": "admin#directory#orgUnit",
            "name": state.config.domain,
            "orgUnitPath": "/",
            "orgUnitId": f"id:{state.next_id(12)}",
            "description": "",
            "blockInheritance": False,
        },
    )


def _normalize(path: str) -> str:
    stripped = path.strip("/")
    return "/" + stripped if stripped else "/"


def _resolve(state: EmulatorState, key: str) -> dict[str, Any]:
    """Google takes an org unit by full path (leading slash optional) or by ``id:...``."""
    if key.startswith("id:"):
        for unit in state.org_units.values():
            if unit["orgUnitId"] == key:
                return unit
        raise GoogleApiError(404, "notFound", ORG_UNIT_NOT_FOUND)
    wanted = _normalize(key).lower()
    for path, unit in state.org_units.items():
        if path.lower() == wanted:
            return unit
    raise GoogleApiError(404, "notFound", ORG_UNIT_NOT_FOUND)


def insert_org_unit(state: EmulatorState, body: Any) -> dict[str, Any]:
    validate_body("admin.directory_v1", "OrgUnit", body)
    name = str(body.get("name") or "").strip()
    if not name or "/" in name:
        raise invalid("Invalid Ou Name")
    parent_key = body.get("parentOrgUnitId") or body.get("parentOrgUnitPath") or "/"
    try:
        parent = _resolve(state, parent_key)
    except GoogleApiError as exc:
        raise invalid("Invalid Parent Orgunit Id") from exc
    parent_path = parent["orgUnitPath"]
    path = f"{parent_path.rstrip('/')}/{name}"
    if any(existing.lower() == path.lower() for existing in state.org_units):
        raise duplicate("Invalid Ou Id")
    unit = {
        "kind": "admin#directory#orgUnit",
        "name": name,
        "description": body.get("description", ""),
        "orgUnitPath": path,
        "orgUnitId": f"id:{state.next_id(12)}",
        "parentOrgUnitPath": parent_path,
        "parentOrgUnitId": parent["orgUnitId"],
        "blockInheritance": bool(body.get("blockInheritance", False)),
    }
    state.org_units[path] = unit
    return copy.deepcopy(unit)


def get_org_unit(state: EmulatorState, key: str) -> dict[str, Any]:
    return copy.deepcopy(_resolve(state, key))


def list_org_units(state: EmulatorState, *, under: str, kind: str) -> dict[str, Any]:
    """``type``: ``children`` (direct), ``all`` (all descendants), ``allIncludingParent``."""
    base = _resolve(state, under)["orgUnitPath"]
    prefix = base.rstrip("/") + "/"
    units = []
    for path, unit in sorted(state.org_units.items()):
        if path == "/":
            continue
        descendant = path.startswith(prefix)
        direct = descendant and "/" not in path[len(prefix) :]
        if (kind == "children" and direct) or (kind in ("all", "allIncludingParent") and descendant):
            units.append(copy.deepcopy(unit))
    if kind == "allIncludingParent" and base != "/":
        units.insert(0, copy.deepcopy(state.org_units[base]))
    if kind not in ("children", "all", "allIncludingParent"):
        raise invalid("Invalid Input: type", location="type")
    result: dict[str, Any] = {"kind": "admin#directory#orgUnits"}
    if units:
        result["organizationUnits"] = units
    return result


def insert_schema(state: EmulatorState, body: Any) -> dict[str, Any]:
    validate_body("admin.directory_v1", "Schema", body)
    name = str(body.get("schemaName") or "")
    if not name.replace("_", "").isalnum() or not name[:1].isalpha():
        raise invalid("Invalid Input: schema_name")
    if name in state.schemas:
        raise duplicate("Schema already exists.")
    fields = []
    for field in body.get("fields") or []:
        if field.get("fieldType") not in SCHEMA_FIELD_TYPES or not field.get("fieldName"):
            raise invalid("Invalid Input: field_type")
        fields.append(
            {
                "kind": "admin#directory#schema#fieldspec",
                "fieldId": state.next_id(12),
                "etag": '"f"',
                **field,
            }
        )
    schema = {
        "kind": "admin#directory#schema",
        "schemaId": state.next_id(12),
        "etag": '"s"',
        "schemaName": name,
        "displayName": body.get("displayName", name),
        "fields": fields,
    }
    state.schemas[name] = schema
    return copy.deepcopy(schema)


def get_schema(state: EmulatorState, key: str) -> dict[str, Any]:
    for schema in state.schemas.values():
        if key in (schema["schemaName"], schema["schemaId"]):
            return copy.deepcopy(schema)
    raise GoogleApiError(404, "notFound", "Resource Not Found: schemaKey")


def list_schemas(state: EmulatorState) -> dict[str, Any]:
    return {
        "kind": "admin#directory#schemas",
        "schemas": [copy.deepcopy(s) for s in state.schemas.values()],
    }
