"""Cell values of a roster: cells as text, the closed vocabularies (document types, enrollment
statuses, modalities, roles) as Sofia Plus users write them, dates in the ways spreadsheets
give them, and identifiers a spreadsheet turned into numbers. Pure.

Apart from the row parser: these say what one cell means, whatever row it is in; the parser
decides what a row of them makes (and what it refuses).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

from sofia_sync.contract import DocumentType, EnrollmentStatus, Modality, Role
from sofia_sync.messages import Message, MessageError
from sofia_sync.roster_columns import fold
from sofia_sync.roster_rows import Cell

__all__ = [
    "DOCUMENT_TYPES",
    "MODALITIES",
    "ROLES",
    "SPREADSHEET_NUMBER",
    "STATUSES",
    "cell_date",
    "cell_text",
    "spreadsheet_number",
    "word",
]


@lru_cache(maxsize=4096)
def word(text: str) -> str:
    """``En formación`` → ``EN_FORMACION``."""
    return fold(text).upper().replace(" ", "_")


DOCUMENT_TYPES: dict[str, DocumentType] = {kind.value: kind for kind in DocumentType} | {
    "CEDULA_DE_CIUDADANIA": DocumentType.CC,
    "TARJETA_DE_IDENTIDAD": DocumentType.TI,
    "CEDULA_DE_EXTRANJERIA": DocumentType.CE,
    "PERMISO_ESPECIAL_DE_PERMANENCIA": DocumentType.PEP,
    "PERMISO_POR_PROTECCION_TEMPORAL": DocumentType.PPT,
    "PASAPORTE": DocumentType.PA,
    "C_C": DocumentType.CC,
    "T_I": DocumentType.TI,
    "C_E": DocumentType.CE,
}
STATUSES: dict[str, EnrollmentStatus] = {status.value: status for status in EnrollmentStatus}
MODALITIES: dict[str, Modality] = {modality.value: modality for modality in Modality} | {
    "DISTANCIA": Modality.A_DISTANCIA
}
ROLES: dict[str, Role] = {role.value: role for role in Role}

_ISO_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?")
#: Excel's day zero for serial dates (the 1900 leap-year bug only affects dates before March 1900).
_EXCEL_EPOCH = date(1899, 12, 30)
#: What a spreadsheet does to identifiers it took for numbers: ``1,02346E+09``, ``1023456789.0``.
_SCIENTIFIC = re.compile(r"\d+(?:[.,]\d+)?[eE][+-]?\d+")
_FLOAT_TEXT = re.compile(r"\d{4,}\.0+")


def cell_text(value: Cell) -> str:
    """A cell as text: what CSV gives, and XLSX numbers and dates as they would read."""
    if isinstance(value, str):
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        value = value.date()
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel holds every number as a float: 1023456789.0
    return str(value)


def cell_date(value: Cell, text: str) -> date:
    """ISO (``2026-01-20``), day first (``20/01/2026``), or a spreadsheet date or serial."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2_958_466:
        return _EXCEL_EPOCH + timedelta(days=int(value))
    try:
        if match := _ISO_DATE.fullmatch(text):
            year, month, day = match.groups()
            return date(int(year), int(month), int(day))
        if match := _DAY_FIRST.fullmatch(text):
            day, month, year = match.groups()
            return date(int(year), int(month), int(day))
    except ValueError:
        pass
    raise MessageError(Message("not a date (expected 2026-01-20 or 20/01/2026)"))


SPREADSHEET_NUMBER = Message("was turned into a number by a spreadsheet (format the column as text)")


def spreadsheet_number(text: str) -> bool:
    return bool(_SCIENTIFIC.fullmatch(text) or _FLOAT_TEXT.fullmatch(text))
