"""Records built directly, and events built from the contract's examples, for the tests."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sofia_sync.contract import (
    EVENT_EXAMPLES,
    DocumentType,
    EnrollmentStatus,
    Event,
    Modality,
    Role,
    UnknownEvent,
    parse_event,
)
from sofia_sync.person import EnrollmentRecord, PersonRecord, apply_event

AT = datetime(2026, 1, 20, 13, 15, tzinfo=UTC)
#: The clock for policy and planner tests: a day after every record's events, so no grace
#: period (30 days by default) or graduates' period has run out yet.
NOW = AT + timedelta(days=1)


def enrollment(
    ficha: str = "2758392",
    status: EnrollmentStatus = EnrollmentStatus.EN_FORMACION,
    start: date = date(2026, 1, 20),
    regional: tuple[str, str] = ("11", "DISTRITO CAPITAL"),
    centro: tuple[str, str] = ("9229", "CENTRO DE SERVICIOS FINANCIEROS"),
    status_at: datetime = AT,
) -> EnrollmentRecord:
    return EnrollmentRecord(
        ficha=ficha,
        program_code="228118",
        program_name="Análisis y Desarrollo de Software",
        program_level="TECNOLOGO",
        centro_code=centro[0],
        centro_name=centro[1],
        regional_code=regional[0],
        regional_name=regional[1],
        modality=Modality.PRESENCIAL,
        status=status,
        start_date=start,
        end_date=date(start.year + 2, start.month, 1),
        status_at=status_at,
    )


def person(
    *enrollments: EnrollmentRecord, roles: frozenset[Role] | None = None, **fields: Any
) -> PersonRecord:
    values: dict[str, Any] = {
        "document_type": DocumentType.TI,
        "document_number": "1098765432",
        "first_names": "María José",
        "last_names": "Peña de la Torre",
        "personal_email": "majo.pena@example.com",
        "mobile_e164": "+573001234567",
        "birth_date": date(2009, 3, 14),
        "roles": roles if roles is not None else frozenset({Role.APRENDIZ} if enrollments else ()),
        "enrollments": enrollments,
    }
    return PersonRecord(**{**values, **fields})


def event(
    event_type: str = "enrollment.created",
    at: str | None = None,
    person: dict[str, Any] | None = None,
    **data: Any,
) -> Event:
    """The contract's example of ``event_type``, with ``data`` fields replaced (dicts merged)."""
    payload = copy.deepcopy(EVENT_EXAMPLES[event_type])
    if at is not None:
        payload["occurred_at"] = at
    payload["data"]["person"].update(person or {})
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(payload["data"].get(key), dict):
            payload["data"][key].update(value)
        else:
            payload["data"][key] = value
    parsed = parse_event(payload)
    assert not isinstance(parsed, UnknownEvent)
    return parsed


def fold(*items: Event, record: PersonRecord | None = None) -> PersonRecord:
    for item in items:
        record = apply_event(record, item)
    assert record is not None
    return record
