"""Request bodies checked against Google's discovery schemas, refused the way Google refuses them.

Google parses a JSON body into its protobuf message before anything else runs, so an unknown
field or a value of the wrong JSON type is a 400 whose message names the field path. The
emulator mirrors that so the client's body-building code is exercised against the same
strictness, not a permissive mock. Messages follow Google's wording closely but not byte for byte.

Read-only fields are skipped entirely: Google accepts and ignores them, and clients commonly send
back a resource they have just read. ``null`` is accepted everywhere (proto3 JSON treats it as
"unset"; Directory patches use it to clear a field).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from workspace.emulator.discovery import Api, has_schema, schema
from workspace.emulator.errors import GoogleApiError, invalid

#: Fields the Directory ``User`` schema declares ``any`` but Google parses as typed structures:
#: field -> (schema name, whether the field is an array of it).
USER_ANY_FIELDS: Mapping[str, tuple[str, bool]] = {
    "emails": ("UserEmail", True),
    "phones": ("UserPhone", True),
    "externalIds": ("UserExternalId", True),
    "organizations": ("UserOrganization", True),
    "addresses": ("UserAddress", True),
    "relations": ("UserRelation", True),
    "websites": ("UserWebsite", True),
    "locations": ("UserLocation", True),
    "keywords": ("UserKeyword", True),
    "languages": ("UserLanguage", True),
    "ims": ("UserIm", True),
    "posixAccounts": ("UserPosixAccount", True),
    "sshPublicKeys": ("UserSshPublicKey", True),
    "notes": ("UserAbout", False),
    "gender": ("UserGender", False),
}

_INT_RANGES: Mapping[str, tuple[int, int]] = {
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
}

_NON_FINITE = frozenset({"NaN", "Infinity", "-Infinity"})
_PAYLOAD = "Invalid JSON payload received."
_DECIMAL = re.compile(r"-?[0-9]+")


def validate_body(api: Api, schema_name: str, body: object) -> None:
    """Refuse ``body`` with Google's 400 if it does not parse as schema ``schema_name``."""
    if not isinstance(body, dict):
        raise invalid('Invalid JSON payload received. Unknown name "": Root element must be a message.')
    _check_message(api, schema_name, schema(api, schema_name), body, _lower_camel(schema_name))


def _lower_camel(name: str) -> str:
    """Google names the root of the path after the request field, e.g. ``User`` -> ``user``."""
    return name[:1].lower() + name[1:]


def _check_message(
    api: Api, schema_name: str | None, spec: Mapping[str, Any], body: Mapping[Any, Any], path: str
) -> None:
    properties: Mapping[str, Any] | None = spec.get("properties")
    additional: Mapping[str, Any] | None = spec.get("additionalProperties")
    if properties is None and additional is None:
        return  # a free-form object: Google keeps it as a Struct
    for key, value in body.items():
        field_spec = properties.get(key) if properties is not None else None
        if field_spec is not None:
            _check_field(api, schema_name, key, field_spec, value=value, path=path)
        elif additional is not None:
            _check_value(api, additional, value, f"{path}[{key}]")
        else:
            raise _unknown_name(key, path, "Cannot find field.")


def _check_field(
    api: Api,
    schema_name: str | None,
    key: str,
    spec: Mapping[str, Any],
    *,
    value: object,
    path: str,
) -> None:
    if spec.get("readOnly"):
        return
    effective = _effective_spec(api, schema_name, key, spec)
    if isinstance(value, list) and not _is_repeated(effective):
        raise _unknown_name(key, path, "Proto field is not repeating, cannot start list.")
    _check_value(api, effective, value, f"{path}.{key}")


def _effective_spec(
    api: Api, schema_name: str | None, key: str, spec: Mapping[str, Any]
) -> Mapping[str, Any]:
    """Replace the ``any`` of Directory ``User`` fields by the structure Google really parses."""
    if api != "admin.directory_v1" or schema_name != "User" or spec.get("type") != "any":
        return spec
    typed = USER_ANY_FIELDS.get(key)
    if typed is None or not has_schema(api, typed[0]):
        return spec
    ref = {"$ref": typed[0]}
    return {"type": "array", "items": ref} if typed[1] else ref


def _is_repeated(spec: Mapping[str, Any]) -> bool:
    return spec.get("type") in {"array", "any"}


def _unknown_name(key: str, path: str, reason: str) -> GoogleApiError:
    return invalid(f"Invalid JSON payload received. Unknown name {json.dumps(key)} at '{path}': {reason}")


def _invalid_value(path: str, type_label: str, value: object) -> GoogleApiError:
    return invalid(f"Invalid value at '{path}' ({type_label}), {_render(value)}")


def _render(value: object) -> str:
    """Show the offending value as Google does: the JSON token, or what was started instead."""
    if isinstance(value, dict):
        return "Starting an object on a scalar field"
    if isinstance(value, list):
        return "Starting an array on a scalar field"
    return json.dumps(value, ensure_ascii=False)


def _check_value(api: Api, spec: Mapping[str, Any], value: object, path: str) -> None:
    if value is None:
        return
    ref = spec.get("$ref")
    if isinstance(ref, str):
        _check_reference(api, ref, value, path)
        return
    kind = spec.get("type")
    if kind == "array":
        _check_array(api, spec, value, path)
    elif kind == "object":
        _check_object(api, spec, value, path)
    else:
        checker = _SCALAR_CHECKERS.get(str(kind))
        if checker is not None:
            checker(spec, value, path)


def _check_reference(api: Api, ref: str, value: object, path: str) -> None:
    if not isinstance(value, dict):
        raise invalid(f"Invalid value at '{path}' (type.googleapis.com/{ref}), {_render(value)}")
    _check_message(api, ref, schema(api, ref), value, path)


def _check_object(api: Api, spec: Mapping[str, Any], value: object, path: str) -> None:
    if not isinstance(value, dict):
        raise _invalid_value(path, "TYPE_MESSAGE", value)
    _check_message(api, None, spec, value, path)


def _check_array(api: Api, spec: Mapping[str, Any], value: object, path: str) -> None:
    items: Mapping[str, Any] = spec.get("items", {"type": "any"})
    if not isinstance(value, list):
        shown = "Starting an object on a repeated field" if isinstance(value, dict) else None
        raise invalid(f"Invalid value at '{path}' ({_type_label(items)}), {shown or _render(value)}")
    for index, element in enumerate(value):
        _check_value(api, items, element, f"{path}[{index}]")


def _type_label(spec: Mapping[str, Any]) -> str:
    ref = spec.get("$ref")
    if isinstance(ref, str):
        return f"type.googleapis.com/{ref}"
    kind, fmt = spec.get("type"), str(spec.get("format"))
    if kind == "string" and "enum" in spec:
        return "TYPE_ENUM"
    if kind == "string" and fmt in _INT_RANGES:
        return f"TYPE_{fmt.upper()}"
    if kind == "integer":
        return f"TYPE_{fmt.upper()}" if fmt in _INT_RANGES else "TYPE_INT32"
    if kind == "number":
        return "TYPE_FLOAT" if fmt == "float" else "TYPE_DOUBLE"
    labels = {"string": "TYPE_STRING", "boolean": "TYPE_BOOL", "object": "TYPE_MESSAGE"}
    return labels.get(str(kind), "TYPE_MESSAGE")


def _check_string(spec: Mapping[str, Any], value: object, path: str) -> None:
    fmt = spec.get("format")
    if isinstance(fmt, str) and fmt in _INT_RANGES:
        _check_integer(spec, value, path)
        return
    if not isinstance(value, str):
        raise _invalid_value(path, _type_label(spec), value)
    allowed = spec.get("enum")
    if allowed is not None and value not in allowed:
        raise _invalid_value(path, "TYPE_ENUM", value)


def _check_boolean(spec: Mapping[str, Any], value: object, path: str) -> None:
    if not isinstance(value, bool):
        raise _invalid_value(path, "TYPE_BOOL", value)


def _check_integer(spec: Mapping[str, Any], value: object, path: str) -> None:
    """proto3 JSON takes integers as numbers or as decimal strings (int64 always travels as one)."""
    number = _as_integer(value)
    low, high = _INT_RANGES.get(str(spec.get("format")), _INT_RANGES["int32"])
    if number is None or not low <= number <= high:
        raise _invalid_value(path, _type_label(spec), value)


def _as_integer(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return int(value)
    return None


def _check_number(spec: Mapping[str, Any], value: object, path: str) -> None:
    if not _is_number(value):
        raise _invalid_value(path, _type_label(spec), value)


def _is_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if not isinstance(value, str):
        return False
    if value in _NON_FINITE:
        return True
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


_SCALAR_CHECKERS: Mapping[str, Callable[[Mapping[str, Any], object, str], None]] = {
    "string": _check_string,
    "boolean": _check_boolean,
    "integer": _check_integer,
    "number": _check_number,
}
