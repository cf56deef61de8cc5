"""Sofia Plus events about one person, built from the contract's examples with explicit times."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from sofia_sync.contract import EVENT_EXAMPLES

APPRENTICE = copy.deepcopy(EVENT_EXAMPLES["enrollment.created"]["data"]["person"])
ENROLLMENT = copy.deepcopy(EVENT_EXAMPLES["enrollment.created"]["data"]["enrollment"])


def person(document: str = "1.098.765.432", document_type: str = "TI", **fields: Any) -> dict[str, Any]:
    return {**APPRENTICE, "document_type": document_type, "document_number": document, **fields}


def enrollment_payload(ficha: str = "2758392", status: str = "EN_FORMACION", **fields: Any) -> dict[str, Any]:
    return {**copy.deepcopy(ENROLLMENT), "ficha": ficha, "status": status, **fields}


def enrolled(
    at: datetime, *, ficha: str = "2758392", who: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    return {
        "type": "enrollment.created",
        "occurred_at": at.isoformat(),
        "data": {"person": who or person(), "enrollment": enrollment_payload(ficha, **fields)},
    }


def status_changed(
    at: datetime, status: str, *, ficha: str = "2758392", who: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    return {
        "type": "enrollment.status_changed",
        "occurred_at": at.isoformat(),
        "data": {
            "person": who or person(),
            "enrollment": enrollment_payload(ficha, status, **fields),
            "previous_status": "EN_FORMACION",
        },
    }


def roles_changed(
    at: datetime,
    roles: list[str],
    previous_roles: list[str] | None = None,
    *,
    who: dict[str, Any] | None = None,
    fichas: list[str] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"person": who or person(), "roles": roles, "previous_roles": previous_roles or []}
    if fichas is not None:
        data["fichas"] = fichas
    return {"type": "person.roles_changed", "occurred_at": at.isoformat(), "data": data}


def person_updated(
    at: datetime, *, who: dict[str, Any] | None = None, previous: tuple[str, str] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {"person": who or person()}
    if previous is not None:
        data["previous_document"] = {"document_type": previous[0], "document_number": previous[1]}
    return {"type": "person.updated", "occurred_at": at.isoformat(), "data": data}
