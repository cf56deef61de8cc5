"""Contract: every body the client sends fits the discovery documents bundled with
google-api-python-client — checked here by an independent walk of the document, not by the
emulator's own validator — and every method it calls exists there."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import googleapiclient
from pydantic import SecretStr

from tests.support.google import SENDER, credentials_message, new_user
from workspace.directory import GoogleDirectory
from workspace.emulator.control_client import EmulatorControl
from workspace.gmail import GmailSender
from workspace.google_session import GoogleConnection, ServiceFactory
from workspace.models import ExternalId, Phone, UserChanges, UserName

DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
#: Fields the User schema declares as ``any`` and the item schema Google applies to them.
ANY_FIELDS = {"externalIds": "UserExternalId", "phones": "UserPhone", "emails": "UserEmail"}


@cache
def document(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DOCUMENTS / f"{name}.json").read_text("utf-8"))
    return loaded


def methods(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    stack = [doc]
    while stack:
        node = stack.pop()
        for method in node.get("methods", {}).values():
            found[method["id"]] = method
        stack.extend(node.get("resources", {}).values())
    return found


def problems(  # noqa: PLR0911 - one return per JSON type reads best here
    doc: dict[str, Any], schema: dict[str, Any], value: Any, path: str
) -> list[str]:
    if "$ref" in schema:
        return problems(doc, doc["schemas"][schema["$ref"]], value, path)
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        if not isinstance(value, dict):
            return [f"{path}: expected object"]
        found = []
        for key, item in value.items():
            if key in ANY_FIELDS and isinstance(item, list):
                for i, element in enumerate(item):
                    item_schema = {"$ref": ANY_FIELDS[key]}
                    found += problems(doc, item_schema, element, f"{path}.{key}[{i}]")
            elif key not in schema["properties"]:
                found.append(f"{path}.{key}: not in the discovery document")
            else:
                found += problems(doc, schema["properties"][key], item, f"{path}.{key}")
        return found
    if kind == "object":
        return [] if isinstance(value, dict) else [f"{path}: expected object"]
    if kind == "array":
        if not isinstance(value, list):
            return [f"{path}: expected array"]
        return [p for i, v in enumerate(value) for p in problems(doc, schema["items"], v, f"{path}[{i}]")]
    expected = {"string": str, "boolean": bool, "integer": (int, str)}.get(kind or "")
    if expected and not isinstance(value, expected):
        return [f"{path}: expected {kind}"]
    return []


def test_every_request_body_fits_the_discovery_documents(
    emulator: EmulatorControl,
    directory: GoogleDirectory,
    connection: GoogleConnection,
) -> None:
    emulator.seed(
        org_units=["/Aprendices/Distrito Capital", "/Instructores"],
        schemas=[
            {
                "schemaName": "SofiaPlus",
                "fields": [{"fieldName": "documentType", "fieldType": "STRING"}],
            }
        ],
        users=[
            {
                "primaryEmail": SENDER,
                "name": {"givenName": "N", "familyName": "S"},
                "password": "Sender-2026-xyz",
            }
        ],
    )
    key = "1098765432@misena.edu.co"
    directory.create_user(new_user(custom_schemas={"SofiaPlus": {"documentType": "TI"}}))
    directory.update_user(
        key,
        UserChanges(
            name=UserName(given_name="María", family_name="Peña"),
            org_unit_path="/Instructores",
            suspended=False,
            recovery_email="otra@example.com",
            recovery_phone="+573009876543",
            external_ids=[ExternalId(value="CC-1098765432")],
            phones=[Phone(value="+573009876543")],
            custom_schemas={"SofiaPlus": {"documentType": "CC"}},
        ),
    )
    directory.set_password(key, SecretStr("Otra-Clave-2026"))
    directory.set_suspended(key, True)
    directory.rename_user(key, "52123456@misena.edu.co")
    directory.create_org_unit("Egresados")
    group = directory.create_group("ficha-1@misena.edu.co", "Ficha 1", "Ficha 1 de prueba")
    directory.add_member(group.email, "52123456@misena.edu.co", role="MANAGER")
    GmailSender(ServiceFactory(connection)).send(SENDER, credentials_message())

    sent = [r for r in emulator.requests() if r["method"] != "directory.schemas.insert"]
    checked = set()
    for request in sent:
        api = "gmail.v1" if request["method"].startswith("gmail.") else "admin.directory_v1"
        method = methods(document(api))[request["method"]]
        schema = {"$ref": method["request"]["$ref"]}
        assert problems(document(api), schema, request["body"], request["method"]) == []
        checked.add(request["method"])
    assert checked >= {
        "directory.users.insert",
        "directory.users.update",
        "directory.orgunits.insert",
        "directory.groups.insert",
        "directory.members.insert",
        "gmail.users.messages.send",
    }


def test_the_adapters_only_call_methods_of_the_documents(
    emulator: EmulatorControl, directory: GoogleDirectory
) -> None:
    """Every method counted by the emulator after a tour of the port exists in the documents."""
    directory.get_user("nadie@misena.edu.co")
    list(directory.iter_users())
    directory.get_org_unit("/")
    directory.get_group("nadie@misena.edu.co")
    known = set(methods(document("admin.directory_v1"))) | set(methods(document("gmail.v1")))
    assert set(emulator.counters()["calls"]) <= known
