"""The roster's columns (contract §2): the fields, the headers Sofia Plus writes for them and
their aliases, and matching a file's header row to them. Pure.

Headers are matched folded (case, accents, punctuation and invisible characters out), so
``NUMERO_DE_DOCUMENTO`` and ``Número de Documento`` are the same column. Apart because the
cell parser, the delimiter detection and the reader all ask which column a header means,
and the folding of a column's people names the column as Sofia Plus writes it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sofia_sync.messages import Message
from sofia_sync.roster_rows import RosterFormatError

__all__ = ["BY_FIELD", "ENROLLMENT_FIELDS", "HEADER_NAMES", "SPANISH_HEADERS", "fold", "map_headers"]


@dataclass(frozen=True)
class _Column:
    field: str
    spanish: str
    aliases: tuple[str, ...] = ()
    required: bool = True


_COLUMNS = (
    _Column("document_type", "Tipo de Documento", ("Tipo Documento",)),
    _Column("document_number", "Número de Documento", ("Número Documento",)),
    _Column("first_names", "Nombres"),
    _Column("last_names", "Apellidos"),
    _Column("personal_email", "Correo Personal", required=False),
    _Column("mobile_phone", "Celular", required=False),
    _Column("birth_date", "Fecha de Nacimiento", required=False),
    _Column("role", "Rol", required=False),
    _Column("ficha", "Ficha"),
    _Column("program_code", "Código Programa", ("Código del Programa", "Código de Programa")),
    _Column("program_version", "Versión Programa", ("Versión del Programa",), required=False),
    _Column("program_name", "Programa", ("Nombre del Programa",)),
    _Column("level", "Nivel", ("Nivel de Formación",)),
    _Column("centro_code", "Código Centro", ("Código del Centro",)),
    _Column("centro_name", "Centro de Formación", ("Centro",)),
    _Column("regional_code", "Código Regional"),
    _Column("regional_name", "Regional"),
    _Column("modality", "Modalidad"),
    _Column("status", "Estado"),
    _Column("start_date", "Fecha Inicio", ("Fecha de Inicio",)),
    _Column("end_date", "Fecha Fin", ("Fecha de Fin",)),
)
BY_FIELD = {column.field: column for column in _COLUMNS}
#: The header Sofia Plus writes for each field: what a file written for Sofia's users carries.
SPANISH_HEADERS: dict[str, str] = {column.field: column.spanish for column in _COLUMNS}
#: The columns of an enrollment; an instructor row may leave all (or some) of them empty.
ENROLLMENT_FIELDS = (
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


def fold(text: str) -> str:
    """Case, accents, invisible characters and punctuation out: ``Número_de  Documento`` →
    ``numero de documento``."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in {"Mn", "Cf"})
    return " ".join(re.split(r"[^0-9a-z]+", kept.casefold())).strip()


HEADER_NAMES: dict[str, str] = {}
for _column in _COLUMNS:
    for _name in (_column.field, _column.spanish, *_column.aliases):
        HEADER_NAMES[fold(_name)] = _column.field


def map_headers(headers: Sequence[str]) -> dict[str, tuple[int, str]]:
    """field → (cell index, header as written); unknown headers are ignored."""
    found: dict[str, tuple[int, str]] = {}
    for index, header in enumerate(headers):
        name = HEADER_NAMES.get(fold(header))
        if name is None:
            continue
        if name in found:
            raise RosterFormatError(
                Message(
                    "columns {first!r} and {second!r} both mean {column}",
                    first=found[name][1],
                    second=header.strip(),
                    column=_describe(name),
                )
            )
        found[name] = (index, header.strip())
    missing = [
        _describe(column.field) for column in _COLUMNS if column.required and column.field not in found
    ]
    if missing:
        raise RosterFormatError(
            Message("the roster is missing required columns: {columns}", columns=", ".join(missing))
        )
    return found


def _describe(name: str) -> str:
    return f"'{BY_FIELD[name].spanish}' ({name})"
