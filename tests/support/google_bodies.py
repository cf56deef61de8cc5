"""Helpers shared by the emulator conformance tests: bodies, clients and error assertions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.support.google import ADMIN, DOMAIN, SCOPE, google_service
from workspace.emulator.server import EmulatorServer

__all__ = [
    "ADMIN",
    "DOMAIN",
    "SCOPE",
    "SOFIA_SCHEMA",
    "error_reason",
    "expect_error",
    "gmail_service",
    "new_user",
]

#: The custom schema misena keeps Sofia Plus identifiers in.
SOFIA_SCHEMA: dict[str, Any] = {
    "schemaName": "SofiaPlus",
    "displayName": "Sofia Plus",
    "fields": [
        {"fieldName": "documentType", "fieldType": "STRING"},
        {"fieldName": "documentNumber", "fieldType": "STRING"},
        {"fieldName": "ficha", "fieldType": "STRING"},
    ],
}


def new_user(local: str, **extra: Any) -> dict[str, Any]:
    """The smallest body ``users.insert`` accepts, plus ``extra`` fields."""
    body: dict[str, Any] = {
        "primaryEmail": f"{local}@{DOMAIN}",
        "name": {"givenName": "Ana", "familyName": "Gómez"},
        "password": "Temporal-2026-xyz",
    }
    body.update(extra)
    return body


def error_reason(error: HttpError) -> str:
    """``error.errors[0].reason`` of Google's envelope."""
    envelope = json.loads(error.content)
    reason: str = envelope["error"]["errors"][0]["reason"]
    return reason


def expect_error(request: Any, status: int, reason: str) -> HttpError:
    """Execute a prepared request that must fail with Google's ``status`` and ``reason``."""
    with pytest.raises(HttpError) as caught:
        request.execute()
    error = caught.value
    envelope = json.loads(error.content)["error"]
    assert (error.resp.status, error_reason(error)) == (status, reason), envelope
    assert envelope["code"] == status
    return error


def gmail_service(server: EmulatorServer, key: dict[str, Any], subject: str, *scopes: str) -> Any:
    """``gmail v1`` acting as ``subject`` with exactly ``scopes`` (short names)."""
    return google_service(server, key, "gmail", "v1", subject=subject, scopes=[SCOPE + s for s in scopes])


def directory_service(server: EmulatorServer, key: dict[str, Any], *scopes: str, subject: str = ADMIN) -> Any:
    """``admin directory_v1`` acting as ``subject`` with exactly ``scopes`` (short names)."""
    return google_service(
        server, key, "admin", "directory_v1", subject=subject, scopes=[SCOPE + s for s in scopes]
    )
