"""Roster exports as Sofia Plus users produce them, written for the roster importer's tests.

Rows are plain dicts keyed by the roster's snake_case field names; values are what a person
would see in the spreadsheet (text, or ``date`` objects that are rendered per file type).
:func:`expected_people` derives from the same rows what the importer should find, without
going through any file, so the tests compare the importer against an independent reading.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from faker import Faker
from openpyxl import Workbook

from sofia_sync.contract import DocumentType, EnrollmentPayload, PersonPayload, Role

HeaderStyle = Literal["spanish", "odd", "snake"]
Row = dict[str, Any]

FIELDS = (
    "document_type",
    "document_number",
    "first_names",
    "last_names",
    "personal_email",
    "mobile_phone",
    "role",
    "ficha",
    "program_code",
    "program_name",
    "level",
    "centro_code",
    "centro_name",
    "regional_code",
    "regional_name",
    "modality",
    "status",
    "start_date",
    "end_date",
)
ENROLLMENT_FIELDS = FIELDS[FIELDS.index("ficha") :]

SPANISH = {
    "document_type": "Tipo de Documento",
    "document_number": "Número de Documento",
    "first_names": "Nombres",
    "last_names": "Apellidos",
    "personal_email": "Correo Personal",
    "mobile_phone": "Celular",
    "role": "Rol",
    "ficha": "Ficha",
    "program_code": "Código Programa",
    "program_name": "Programa",
    "level": "Nivel",
    "centro_code": "Código Centro",
    "centro_name": "Centro de Formación",
    "regional_code": "Código Regional",
    "regional_name": "Regional",
    "modality": "Modalidad",
    "status": "Estado",
    "start_date": "Fecha Inicio",
    "end_date": "Fecha Fin",
}
#: What hand-edited or differently-configured exports do to the same headers.
ODD = {
    "document_type": "  TIPO DE DOCUMENTO ",
    "document_number": "numero de documento",
    "first_names": "NOMBRES",
    "last_names": "apellidos ",
    "personal_email": "CORREO personal",
    "mobile_phone": "celular",
    "role": "ROL",
    "ficha": "ficha",
    "program_code": "CODIGO PROGRAMA",
    "program_name": "programa",
    "level": "NIVEL",
    "centro_code": "código  centro",
    "centro_name": "CENTRO DE FORMACIÓN",
    "regional_code": "Codigo Regional",
    "regional_name": " regional",
    "modality": "MODALIDAD",
    "status": "estado",
    "start_date": "FECHA INICIO",
    "end_date": "Fecha fin",
}
HEADERS: dict[HeaderStyle, Mapping[str, str]] = {
    "spanish": SPANISH,
    "odd": ODD,
    "snake": {name: name for name in FIELDS},
}

STATUS_WORDS = {
    "EN_FORMACION": ("En formación", "EN FORMACION", "EN_FORMACION"),
    "CONDICIONADO": ("Condicionado",),
    "APLAZADO": ("APLAZADO",),
    "TRASLADADO": ("Trasladado",),
    "POR_CERTIFICAR": ("Por certificar", "POR CERTIFICAR"),
    "CERTIFICADO": ("Certificado",),
    "CANCELADO": ("CANCELADO",),
    "RETIRO_VOLUNTARIO": ("Retiro voluntario", "RETIRO_VOLUNTARIO"),
}
MODALITY_WORDS = {
    "PRESENCIAL": ("Presencial", "PRESENCIAL"),
    "VIRTUAL": ("Virtual", "VIRTUAL"),
    "A_DISTANCIA": ("A distancia", "A DISTANCIA", "A_DISTANCIA"),
}
LEVEL_WORDS = {"TECNOLOGO": "Tecnólogo", "TECNICO": "Técnico", "AUXILIAR": "Auxiliar", "OPERARIO": "Operario"}
PROGRAMS = (
    ("228118", "Análisis y Desarrollo de Software", "TECNOLOGO"),
    ("134104", "Gestión Contable y de Información Financiera", "TECNOLOGO"),
    ("831101", 'Cocina, "Panadería"; y Repostería', "TECNICO"),  # the delimiters, quoted
    ("233104", "Técnico en Programación de Software", "TECNICO"),
)
CENTROS = (
    ("9229", "Centro de Servicios Financieros", "11", "Distrito Capital"),
    ("9401", "Centro de Gestión Industrial", "11", "Distrito Capital"),
    ("9202", "Centro de Biotecnología Agropecuaria", "25", "Cundinamarca"),
    ("9110", "Centro de Comercio y Servicios", "05", "Antioquia"),
)


def document_number(kind: DocumentType, rng: random.Random) -> str:
    """A number Sofia could send for ``kind``, sometimes with the separators people type."""
    digits = str(rng.randrange(10_000_000, 1_299_999_999))
    if kind in {DocumentType.CC, DocumentType.TI}:
        if rng.random() < 0.3:
            return f"{int(digits):,}".replace(",", ".")  # 1.023.456.789
        return digits
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(rng.randint(1, 3)))
    return {
        DocumentType.CE: f"E-{digits[:6]}",
        DocumentType.PEP: f"PEP{digits}",
        DocumentType.PPT: f"{letters}{digits[:7]}",
        DocumentType.PA: f"{letters}{digits[:7]}",
    }[kind]


def cp1252_safe(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def fake_rows(count: int, seed: int = 1, *, instructors: float = 0.1) -> list[Row]:
    """``count`` valid rows: Faker ``es_CO`` people, every document type, some with two fichas,
    some instructors with empty enrollment columns, status and modality written as words."""
    faker = Faker("es_CO")
    faker.seed_instance(seed)
    rng = random.Random(seed)
    rows: list[Row] = []
    seen: set[tuple[str, str]] = set()
    while len(rows) < count:
        kind = rng.choice(list(DocumentType))
        number = document_number(kind, rng)
        identity = (kind.value, number.replace(".", "").replace("-", "").lower())
        if identity in seen:
            continue
        seen.add(identity)
        first = f"{faker.first_name()} {faker.first_name()}" if rng.random() < 0.5 else faker.first_name()
        last = f"{faker.last_name()} {faker.last_name()}"
        if not cp1252_safe(first + last):
            continue
        if rng.random() < 0.5:
            first, last = first.upper(), last.upper()
        person: Row = {
            "document_type": kind.value if rng.random() < 0.8 else kind.value.lower(),
            "document_number": number,
            "first_names": first,
            "last_names": last,
            "personal_email": faker.free_email() if rng.random() < 0.9 else "",
            "mobile_phone": f"3{rng.randrange(10**8, 10**9)}" if rng.random() < 0.8 else "",
        }
        if rng.random() < instructors:
            rows.append({**person, "role": rng.choice(["Instructor", "INSTRUCTOR"])})
            continue
        for ficha in rng.sample(range(2_500_000, 2_999_999), rng.choice([1, 1, 1, 2])):
            rows.append(
                {**person, "role": rng.choice(["Aprendiz", "APRENDIZ", ""]), **enrollment(ficha, rng)}
            )
    return rows[:count]


def enrollment(ficha: int, rng: random.Random) -> Row:
    code, name, level = rng.choice(PROGRAMS)
    centro_code, centro_name, regional_code, regional_name = rng.choice(CENTROS)
    status = rng.choice(list(STATUS_WORDS))
    modality = rng.choice(list(MODALITY_WORDS))
    start = date(2024, 1, 15) + timedelta(days=rng.randrange(0, 800))
    return {
        "ficha": str(ficha),
        "program_code": code,
        "program_name": name,
        "level": LEVEL_WORDS[level],
        "centro_code": centro_code,
        "centro_name": centro_name,
        "regional_code": regional_code,
        "regional_name": regional_name,
        "modality": rng.choice(MODALITY_WORDS[modality]),
        "status": rng.choice(STATUS_WORDS[status]),
        "start_date": start,
        "end_date": start + timedelta(days=rng.choice([365, 730, 540])),
    }


def render_date(value: date, style: int) -> str:
    """Both spellings the importer accepts, and what Excel writes for a date-time cell."""
    return (value.isoformat(), value.strftime("%d/%m/%Y"), f"{value.isoformat()} 00:00:00")[style % 3]


def csv_bytes(
    rows: Iterable[Row],
    *,
    encoding: str = "utf-8",
    delimiter: str = ";",
    headers: HeaderStyle = "spanish",
    fields: Sequence[str] = FIELDS,
    newline: str = "\r\n",
) -> bytes:
    return b"".join(
        csv_chunks(
            rows, encoding=encoding, delimiter=delimiter, headers=headers, fields=fields, newline=newline
        )
    )


def csv_chunks(
    rows: Iterable[Row],
    *,
    encoding: str = "utf-8",
    delimiter: str = ";",
    headers: HeaderStyle = "spanish",
    fields: Sequence[str] = FIELDS,
    newline: str = "\r\n",
) -> Iterator[bytes]:
    """The file in pieces (a large roster is written without being held whole)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow([HEADERS[headers][name] for name in fields])
    yield ("\ufeff" if encoding == "utf-8-sig" else "").encode() + _drain(buffer).encode(_codec(encoding))
    for index, row in enumerate(rows):
        writer.writerow([_cell(row.get(name), index) for name in fields])
        if buffer.tell() > 64 * 1024:
            yield _drain(buffer).encode(_codec(encoding))
    yield _drain(buffer).encode(_codec(encoding))


def _codec(encoding: str) -> str:
    return "utf-8" if encoding == "utf-8-sig" else encoding


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _cell(value: Any, index: int) -> str:
    if isinstance(value, date):
        return render_date(value, index)
    return "" if value is None else str(value)


def write_csv(path: Path, rows: Iterable[Row], **options: Any) -> Path:
    with path.open("wb") as file:
        for chunk in csv_chunks(rows, **options):
            file.write(chunk)
    return path


def write_xlsx(
    path: Path | io.BytesIO, rows: Iterable[Row], *, headers: HeaderStyle = "spanish", numbers: bool = True
) -> None:
    """As Excel holds it: dates as dates (some as date-times), and with ``numbers`` the digit-only
    identifiers (cédulas, fichas, codes, phones) as numbers, the way Excel stores typed digits."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Aprendices"
    sheet.append([HEADERS[headers][name] for name in FIELDS])
    for index, row in enumerate(rows):
        cells: list[Any] = []
        for name in FIELDS:
            value = row.get(name)
            if isinstance(value, date) and index % 2:
                value = datetime(value.year, value.month, value.day)
            elif numbers and isinstance(value, str) and value.isdigit() and not value.startswith("0"):
                value = int(value)
            cells.append(value if value != "" else None)
        sheet.append(cells)
    workbook.save(path)


def person_of(row: Row) -> PersonPayload:
    return PersonPayload(
        document_type=row["document_type"].upper(),
        document_number=row["document_number"],
        first_names=row["first_names"],
        last_names=row["last_names"],
        personal_email=row.get("personal_email") or None,
        mobile_phone=row.get("mobile_phone") or None,
    )


def enrollment_of(row: Row) -> EnrollmentPayload:
    level = next(code for code, word in LEVEL_WORDS.items() if word == row["level"])
    status = next(code for code, words in STATUS_WORDS.items() if row["status"] in words)
    modality = next(code for code, words in MODALITY_WORDS.items() if row["modality"] in words)
    return EnrollmentPayload.model_validate(
        {
            "ficha": row["ficha"],
            "program": {
                "code": row["program_code"],
                "version": "",
                "name": row["program_name"],
                "level": level,
            },
            "centro": {"code": row["centro_code"], "name": row["centro_name"]},
            "regional": {"code": row["regional_code"], "name": row["regional_name"]},
            "modality": modality,
            "status": status,
            "start_date": row["start_date"],
            "end_date": row["end_date"],
        }
    )


def expected_people(rows: Iterable[Row]) -> dict[str, tuple[PersonPayload, frozenset[Role], tuple[str, ...]]]:
    """key → (person as first listed, roles, fichas) — read from the rows, not from a file."""
    people: dict[str, tuple[PersonPayload, set[Role], set[str]]] = {}
    for row in rows:
        person = person_of(row)
        _, roles, fichas = people.setdefault(person.key, (person, set(), set()))
        is_instructor = str(row.get("role", "")).upper() == "INSTRUCTOR"
        roles.add(Role.INSTRUCTOR if is_instructor else Role.APRENDIZ)
        if not is_instructor:
            fichas.add(row["ficha"])
    return {
        key: (person, frozenset(roles), tuple(sorted(fichas)))
        for key, (person, roles, fichas) in people.items()
    }
