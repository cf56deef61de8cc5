"""Bulk-sync fixtures: roster rows and files as Sofia Plus exports them, and people misena already
manages (enrolled through the webhook path), shared by the sync, pull, preview and brake tests."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

from tests.support.events import enrolled, person
from tests.support.harness import Harness
from tests.support.roster_files import csv_bytes

CENTRO = ("9229", "Centro de Servicios Financieros", "11", "Distrito Capital")


def row(
    document: str,
    first: str = "ANA MARÍA",
    *,
    ficha: str = "2758392",
    status: str = "En formación",
    place: tuple[str, str, str, str] = CENTRO,
    kind: str = "CC",
    email: str | None = None,
) -> dict[str, Any]:
    return {
        "document_type": kind,
        "document_number": document,
        "first_names": first,
        "last_names": "PEÑA TORRES",
        "personal_email": email or f"p{document}@example.com",
        "mobile_phone": "3001234567",
        "role": "Aprendiz",
        "ficha": ficha,
        "program_code": "228118",
        "program_name": "Análisis y Desarrollo de Software",
        "level": "Tecnólogo",
        "centro_code": place[0],
        "centro_name": place[1],
        "regional_code": place[2],
        "regional_name": place[3],
        "modality": "Presencial",
        "status": status,
        "start_date": date(2026, 1, 20),
        "end_date": date(2028, 1, 19),
    }


def enroll_known(harness: Harness, documents: list[str]) -> None:
    """People misena already manages (accounts created through the webhook path)."""
    start = harness.clock() - timedelta(days=30)
    for document in documents:
        who = person(
            document,
            "CC",
            first_names="ANA MARÍA",
            last_names="PEÑA TORRES",
            personal_email=f"p{document}@example.com",
        )
        harness.post(enrolled(start, who=who))
    harness.drain()


def roster(*rows: dict[str, Any], encoding: str = "cp1252", delimiter: str = ";") -> io.BytesIO:
    return io.BytesIO(csv_bytes(rows, encoding=encoding, delimiter=delimiter))


KNOWN = [f"52{n:06d}" for n in range(1, 21)]  # twenty managed apprentices
