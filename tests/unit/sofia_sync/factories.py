"""Records and accounts built directly, for policy and planner tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sofia_sync.contract import DocumentType, EnrollmentStatus, Modality, Role
from sofia_sync.person import EnrollmentRecord, PersonRecord

AT = datetime(2026, 1, 20, 13, 15, tzinfo=UTC)


def enrollment(
    ficha: str = "2758392",
    status: EnrollmentStatus = EnrollmentStatus.EN_FORMACION,
    start: date = date(2026, 1, 20),
    regional: tuple[str, str] = ("11", "DISTRITO CAPITAL"),
    centro: tuple[str, str] = ("9229", "CENTRO DE SERVICIOS FINANCIEROS"),
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
        status_at=AT,
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
