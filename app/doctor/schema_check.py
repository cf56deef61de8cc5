"""The Sofia Plus custom schema: there, with every field misena writes, typed as misena writes it.

misena never creates the schema (creating schemas is an admin's decision about personal data),
so a missing or different one is a failure whose hint is the definition to create
(:func:`sofia_sync.policy.schema_definition`). Reading it takes a scope misena needs for
nothing else (``admin.directory.userschema.readonly``): without it the check is a warning that
says which scope would let it run.
"""

from __future__ import annotations

from typing import Any

from app.doctor.report import Area, Status, Verdict, google_failed
from app.texts import Text
from sofia_sync.policy import schema_definition
from workspace.errors import WorkspaceError
from workspace.preflight import SCHEMA_READ_SCOPES, Preflight, TokenRefusedError


def _field_shape(field: dict[str, Any]) -> tuple[str, bool]:
    return str(field.get("fieldType", "")), bool(field.get("multiValued", False))


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Each field misena writes that the tenant's schema lacks or types otherwise."""
    found = {str(f.get("fieldName")): _field_shape(f) for f in actual.get("fields", [])}
    wrong: list[str] = []
    for field in expected["fields"]:
        name = str(field["fieldName"])
        if name not in found:
            wrong.append(f"{name} (missing)")
        elif found[name] != _field_shape(field):
            kind, multi = _field_shape(field)
            wrong.append(f"{name} ({kind}{', multiValued' if multi else ''} expected)")
    return wrong


def _read_schema(preflight: Preflight, admin: str, name: str) -> dict[str, Any] | TokenRefusedError | None:
    refusal = TokenRefusedError("unauthorized_client", "no scope tried")
    for scope in SCHEMA_READ_SCOPES:
        try:
            preflight.token(admin, scope)
        except TokenRefusedError as exc:
            refusal = exc
            continue
        return preflight.schema(scope, name)
    return refusal


def check_schema(preflight: Preflight, admin: str, name: str, client: str) -> Verdict:
    check = "schema:" + name
    expected = schema_definition(name)
    fields = ", ".join(str(f["fieldName"]) for f in expected["fields"])
    try:
        found = _read_schema(preflight, admin, name)
    except WorkspaceError as exc:
        return google_failed(check, exc)
    if isinstance(found, TokenRefusedError):
        return Verdict(
            check,
            Area.GOOGLE,
            Status.WARN,
            Text("Not checked: no token to read custom schemas ({error}).", error=found.error),
            Text(
                "To let misena doctor check it, delegate to client ID {client} the scope {scope} "
                "(misena itself does not need it).",
                client=client,
                scope=SCHEMA_READ_SCOPES[0],
            ),
        )
    if found is None:
        return Verdict(
            check,
            Area.GOOGLE,
            Status.FAIL,
            Text("The custom schema {schema} does not exist.", schema=name),
            Text(
                "Create it in the Admin console > Directory > Users > More options > Manage custom "
                "attributes (category {schema}; fields {fields}, text, visible to admins and the user; "
                "fichas with multiple values), or with the Directory API's schemas.insert.",
                schema=name,
                fields=fields,
            ),
        )
    wrong = differences(expected, found)
    if wrong:
        return Verdict(
            check,
            Area.GOOGLE,
            Status.FAIL,
            Text(
                "The custom schema {schema} differs from what misena writes: {fields}.",
                schema=name,
                fields="; ".join(wrong),
            ),
            Text(
                "Edit the custom attributes of {schema} in the Admin console > Directory > Users > More "
                "options > Manage custom attributes to match.",
                schema=name,
            ),
        )
    return Verdict(check, Area.GOOGLE, Status.OK, Text("The schema has every field misena writes."))
