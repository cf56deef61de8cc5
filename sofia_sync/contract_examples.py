"""One realistic payload per known event type, for the OpenAPI document and the tests.

``enrollment.created`` is the contract's own example, verbatim.
"""

from __future__ import annotations

from typing import Any

_PERSON: dict[str, Any] = {
    "document_type": "TI",
    "document_number": "1.098.765.432",
    "first_names": "MARÍA JOSÉ",
    "last_names": "PEÑA DE LA TORRE",
    "personal_email": "majo.pena@example.com",
    "mobile_phone": "300 123 4567",
    "birth_date": "2009-03-14",
}

_ENROLLMENT: dict[str, Any] = {
    "ficha": "2758392",
    "program": {
        "code": "228118",
        "version": "1",
        "name": "Análisis y Desarrollo de Software",
        "level": "TECNOLOGO",
    },
    "centro": {"code": "9229", "name": "Centro de Servicios Financieros"},
    "regional": {"code": "11", "name": "Distrito Capital"},
    "modality": "PRESENCIAL",
    "status": "EN_FORMACION",
    "start_date": "2026-01-20",
    "end_date": "2028-01-19",
}

_INSTRUCTOR: dict[str, Any] = {
    "document_type": "CC",
    "document_number": "79 845 123",
    "first_names": "CARLOS ANDRÉS",
    "last_names": "GÓMEZ DEL CASTILLO",
    "personal_email": "carlos.gomez@example.com",
    "mobile_phone": "+57 315 987 6543",
    "birth_date": "1984-07-02",
}

EVENT_EXAMPLES: dict[str, dict[str, Any]] = {
    "enrollment.created": {
        "type": "enrollment.created",
        "occurred_at": "2026-01-20T08:15:00-05:00",
        "data": {"person": _PERSON, "enrollment": _ENROLLMENT},
    },
    "enrollment.status_changed": {
        "type": "enrollment.status_changed",
        "occurred_at": "2026-06-03T16:40:12-05:00",
        "data": {
            "person": _PERSON,
            "enrollment": {**_ENROLLMENT, "status": "RETIRO_VOLUNTARIO"},
            "previous_status": "EN_FORMACION",
        },
    },
    "person.roles_changed": {
        "type": "person.roles_changed",
        "occurred_at": "2026-02-01T09:00:00-05:00",
        "data": {
            "person": _INSTRUCTOR,
            "roles": ["INSTRUCTOR", "ADMINISTRATIVO"],
            "previous_roles": ["ADMINISTRATIVO"],
        },
    },
    "person.updated": {
        "type": "person.updated",
        "occurred_at": "2027-03-15T11:05:00-05:00",
        "data": {
            "person": {**_PERSON, "document_type": "CC", "document_number": "1098765432"},
            "previous_document": {"document_type": "TI", "document_number": "1.098.765.432"},
        },
    },
}
