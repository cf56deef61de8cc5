"""The Sofia Plus roster export (contract §2) → validated rows → one entry per person. Pure.

A roster is what a person exports from a Sofia Plus report: a CSV file (UTF-8 with or without
BOM, or Windows-1252; ``;`` or ``,``) or an XLSX workbook. :func:`open_roster` streams it as
:class:`RosterRow` objects; rows it cannot use become :class:`RosterError` entries (line
number and reason — the reason names the column, never the value) and do not stop the good
ones. :func:`roster_people` folds the rows into one :class:`RosterPerson` per person key, and
:func:`load_roster` does both and returns a :class:`Roster` with the counts.

Streaming. Memory grows with the number of people (the aggregation) and of bad rows, not
with the size of the file: CSV is read in fixed-size chunks, decoded incrementally and split
into physical lines for :mod:`csv`; XLSX is read with openpyxl's ``read_only`` mode (its shared
strings table — one entry per distinct text — is the only part held whole).

Encoding detection, and its trade-off. A UTF-8 BOM settles it. Otherwise nothing is decided
while the bytes are plain ASCII: ASCII text reads the same in both candidates, so those lines
are produced at once. At the first non-ASCII byte the decision is made on a look-ahead window
(:data:`DETECTION_WINDOW` bytes): strict UTF-8 if the window decodes as UTF-8, otherwise
Windows-1252. Spanish text in Windows-1252 is practically never valid UTF-8 (``Í`` is the byte
``CD``, which UTF-8 only accepts before a continuation byte (``80`` to ``BF``), i.e. before a symbol,
never a letter), so the window is enough in practice — but it is a bounded look-ahead, not a
proof. So the rest of the file is checked as it streams instead of being trusted:

* after choosing UTF-8, a byte that is not UTF-8 raises :class:`RosterFormatError` (the file
  mixes encodings) rather than being replaced;
* after choosing Windows-1252, bytes undefined there (``81``, ``8D``, ``8F``, ``90``, ``9D``) and
  UTF-8 sequences of the Latin-1 letters (``C3 xx`` / ``C2 xx``, what turns ``Muñoz`` into
  ``MuÃ±oz``) or of typographic quotes raise :class:`RosterFormatError`, in the window and
  after it. Capital accented letters followed by a symbol (``É`` + no-break space is ``C9 A0``)
  are left alone: they are valid Windows-1252 text that happens to be valid UTF-8 as well.

A file found inconsistent after some rows were yielded therefore fails the whole import
(:func:`load_roster` returns nothing partial); it is never decoded silently wrong.

Values follow the webhook contract's rules (:mod:`sofia_sync.contract`): a row is refused only
for what would make the account impossible or wrong. An unusable personal email or birth
date does not refuse the row: it is kept and the problem is reported as a *warning*
(``RosterError.kept``). That matters because the export is the full population of its scope:
a person whose row is refused looks absent, a candidate for suspension — so errors also carry
the row's ``person_key`` when the document itself was readable, for the planner to hold those
people back.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import sys
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal, TypeAlias, TypeVar

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import ValidationError

from sofia_sync.contract import (
    ContractModel,
    DocumentType,
    EnrollmentPayload,
    EnrollmentStatus,
    Modality,
    PersonPayload,
    Role,
    person_key,
)
from sofia_sync.normalize import normalize_document, normalize_email, spanish_name, to_e164

__all__ = [
    "CHUNK_SIZE",
    "DETECTION_WINDOW",
    "Roster",
    "RosterError",
    "RosterFormatError",
    "RosterPerson",
    "RosterReader",
    "RosterRow",
    "Scope",
    "load_roster",
    "open_roster",
    "roster_people",
]

#: Bytes read from the file at a time.
CHUNK_SIZE = 64 * 1024
#: Bytes after the first non-ASCII byte on which UTF-8 vs Windows-1252 is decided.
DETECTION_WINDOW = 64 * 1024
#: A physical line longer than this is not a roster (a binary file, a missing newline).
MAX_LINE_CHARS = 1024 * 1024

Source: TypeAlias = str | os.PathLike[str] | IO[bytes]
Cell: TypeAlias = str | int | float | date | datetime | bool | None
_Word = TypeVar("_Word", DocumentType, EnrollmentStatus, Modality, Role)

_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
_NON_ASCII = re.compile(rb"[\x80-\xff]")
#: UTF-8 encodings of U+0080 to U+00FF (accented Latin letters among them) and of typographic
#: punctuation and ``€`` (U+2000 to U+20BF): in a Windows-1252 file they only appear when UTF-8
#: text was pasted in, and would read as ``Ã``- or ``â€``-mojibake.
_UTF8_LATIN1 = re.compile(rb"[\xc2\xc3][\x80-\xbf]|\xe2[\x80-\x82][\x80-\xbf]")
_LINE_END = re.compile(r"\r\n|\r|\n")


class RosterFormatError(ValueError):
    """The file as a whole cannot be read as a roster (missing columns, unknown encoding...)."""


@dataclass(frozen=True)
class RosterError:
    """A row that was refused, or (``kept``) a problem in a row that was still used.

    ``line`` is the physical line (the CSV line or the sheet row; the header is line 1 when it
    is the first line). ``reason`` names the column as written in the file and never carries
    the value. ``person_key`` is the key of the row's person when the document was readable:
    the planner must not take that person's absence from the roster at face value.
    """

    line: int
    reason: str
    person_key: str | None = field(default=None, repr=False)
    kept: bool = False


class RosterRow(ContractModel):
    """One usable row: a person, the role the row is about, and the row's ficha.

    ``enrollment`` is the full enrollment of an apprentice row. An instructor row may leave
    the enrollment columns empty or fill only some (the ficha, the centro, the regional it
    belongs to); ``ficha``, ``centro_code`` and ``regional_code`` hold those as written, and
    for an apprentice row they repeat the enrollment's.
    """

    line: int
    person: PersonPayload
    role: Role
    enrollment: EnrollmentPayload | None = None
    ficha: str | None = None
    centro_code: str | None = None
    regional_code: str | None = None

    @property
    def key(self) -> str:
        return self.person.key


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """A person's fields as misena stores them (normalised), worked out once per person.

    Done while the row is read, when the address and the names were just validated (and sit
    in the normalisers' caches): a plan of 100,000 people would otherwise validate every
    address a second time.
    """

    document_number: str
    first_names: str
    last_names: str
    personal_email: str | None
    mobile_e164: str | None

    @classmethod
    def of(cls, person: PersonPayload) -> PersonFacts:
        return cls(
            document_number=person.document_number
            if person.normalized_number == person.document_number
            else person.normalized_number,
            first_names=spanish_name(person.first_names),
            last_names=spanish_name(person.last_names),
            personal_email=_same_text(normalize_email(person.personal_email), person.personal_email),
            mobile_e164=to_e164(person.mobile_phone),
        )


def _same_text(normalised: str | None, given: str | None) -> str | None:
    """``given`` itself when normalising did not change it: one string kept, not two equal ones."""
    return given if normalised == given else normalised


@dataclass(frozen=True, slots=True)  # slots: no 300-byte __dict__ per person
class RosterPerson:
    """Everything the roster says about one person.

    ``person`` is taken from the person's first row. ``enrollments`` come from apprentice rows,
    one per ficha, sorted by ficha; ``instructor_fichas`` from instructor rows. The place codes
    gather every row of the person (any enrollment status, instructor rows too): they say
    which exports — ``regional:11``, ``centro:9229`` — are expected to list this person.
    ``unplaced`` names the kinds of place (``regional``, ``centro``) that some row of the
    person leaves empty, as an instructor row may (contract §2): such a row belongs to
    whatever scope the export is planned for, because an export is the full population of its
    scope.
    """

    person: PersonPayload
    roles: frozenset[Role]
    enrollments: tuple[EnrollmentPayload, ...]
    instructor_fichas: frozenset[str]
    regional_codes: frozenset[str]
    centro_codes: frozenset[str]
    lines: tuple[int, ...]
    unplaced: frozenset[str] = frozenset()
    #: Worked out while reading (see :class:`PersonFacts`); ``None``: work it out on demand.
    known_facts: PersonFacts | None = None

    @property
    def key(self) -> str:
        return self.person.key

    @property
    def facts(self) -> PersonFacts:
        return self.known_facts or PersonFacts.of(self.person)

    @property
    def scopes(self) -> frozenset[str]:
        """``{"regional:11", "centro:9229", ...}``: the scoped exports this person belongs to."""
        return frozenset(
            {f"regional:{code}" for code in self.regional_codes}
            | {f"centro:{code}" for code in self.centro_codes}
        )

    def enrollment(self, ficha: str) -> EnrollmentPayload | None:
        return next((e for e in self.enrollments if e.ficha == ficha), None)


@dataclass(frozen=True)
class Scope:
    """What an export covers: ``all``, ``regional:<code>`` or ``centro:<code>``."""

    kind: Literal["all", "regional", "centro"]
    code: str | None = None

    @classmethod
    def parse(cls, text: str) -> Scope:
        value = text.strip()
        if value.lower() == "all":
            return cls("all")
        kind, colon, code = value.partition(":")
        kind, code = kind.strip().lower(), code.strip()
        if not colon or not code or kind not in {"regional", "centro"}:
            raise ValueError("a scope is 'all', 'regional:<code>' or 'centro:<code>'")
        return cls("regional" if kind == "regional" else "centro", code)

    def __str__(self) -> str:
        return "all" if self.kind == "all" else f"{self.kind}:{self.code}"

    def contains(self, person: RosterPerson) -> bool:
        """Whether an export planned for this scope covers ``person``: a row of theirs names
        the scope's place, or leaves that place empty (the export's scope is its place)."""
        if self.kind == "all" or self.kind in person.unplaced:
            return True
        codes = person.regional_codes if self.kind == "regional" else person.centro_codes
        return self.code in codes


@dataclass(frozen=True)
class Roster:
    """A roster read whole: its people, its errors (line order), and how it was read."""

    people: Mapping[str, RosterPerson]
    errors: tuple[RosterError, ...]
    rows_read: int
    file_format: Literal["csv", "xlsx"]
    encoding: str | None
    delimiter: str | None
    #: The line of the last data row (0 when there was none).
    last_line: int = 0

    @property
    def truncated_at(self) -> int | None:
        """The last row's line when that row was refused: how a cut-off export looks."""
        last = self.errors[-1] if self.errors else None
        if last is not None and not last.kept and last.line == self.last_line:
            return last.line
        return None

    @property
    def people_count(self) -> int:
        return len(self.people)

    @property
    def bad_rows(self) -> int:
        """Rows refused (warnings about kept rows are not counted)."""
        return sum(1 for error in self.errors if not error.kept)

    @property
    def warnings(self) -> tuple[RosterError, ...]:
        return tuple(error for error in self.errors if error.kept)

    @property
    def refused_keys(self) -> frozenset[str]:
        """People some refused row was about: their roster entry may be incomplete or missing."""
        return frozenset(e.person_key for e in self.errors if e.person_key is not None and not e.kept)

    def in_scope(self, scope: Scope | str) -> dict[str, RosterPerson]:
        chosen = Scope.parse(scope) if isinstance(scope, str) else scope
        return {key: person for key, person in self.people.items() if chosen.contains(person)}

    def scope_counts(self) -> dict[str, int]:
        """People per ``regional:<code>`` and ``centro:<code>``: what the export really covers."""
        counts: dict[str, int] = {}
        for person in self.people.values():
            for scope in person.scopes:
                counts[scope] = counts.get(scope, 0) + 1
        return dict(sorted(counts.items()))


# --- columns -------------------------------------------------------------------------------


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
_BY_FIELD = {column.field: column for column in _COLUMNS}
#: The header Sofia Plus writes for each field: what a file written for Sofia's users carries.
SPANISH_HEADERS: dict[str, str] = {column.field: column.spanish for column in _COLUMNS}
#: The columns of an enrollment; an instructor row may leave all (or some) of them empty.
_ENROLLMENT_FIELDS = (
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


def _fold(text: str) -> str:
    """Case, accents, invisible characters and punctuation out: ``Número_de  Documento`` →
    ``numero de documento``."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in {"Mn", "Cf"})
    return " ".join(re.split(r"[^0-9a-z]+", kept.casefold())).strip()


_HEADER_NAMES: dict[str, str] = {}
for _column in _COLUMNS:
    for _name in (_column.field, _column.spanish, *_column.aliases):
        _HEADER_NAMES[_fold(_name)] = _column.field


def _map_headers(headers: Sequence[str]) -> dict[str, tuple[int, str]]:
    """field → (cell index, header as written); unknown headers are ignored."""
    found: dict[str, tuple[int, str]] = {}
    for index, header in enumerate(headers):
        name = _HEADER_NAMES.get(_fold(header))
        if name is None:
            continue
        if name in found:
            raise RosterFormatError(
                f"columns {found[name][1]!r} and {header.strip()!r} both mean {_describe(name)}"
            )
        found[name] = (index, header.strip())
    missing = [
        _describe(column.field) for column in _COLUMNS if column.required and column.field not in found
    ]
    if missing:
        raise RosterFormatError(f"the roster is missing required columns: {', '.join(missing)}")
    return found


def _describe(name: str) -> str:
    return f"'{_BY_FIELD[name].spanish}' ({name})"


# --- values --------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _word(text: str) -> str:
    """``En formación`` → ``EN_FORMACION``."""
    return _fold(text).upper().replace(" ", "_")


_DOCUMENT_TYPES: dict[str, DocumentType] = {kind.value: kind for kind in DocumentType} | {
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
_STATUSES: dict[str, EnrollmentStatus] = {status.value: status for status in EnrollmentStatus}
_MODALITIES: dict[str, Modality] = {modality.value: modality for modality in Modality} | {
    "DISTANCIA": Modality.A_DISTANCIA
}
_ROLES: dict[str, Role] = {role.value: role for role in Role}

_ISO_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?")
#: Excel's day zero for serial dates (the 1900 leap-year bug only affects dates before March 1900).
_EXCEL_EPOCH = date(1899, 12, 30)
#: What a spreadsheet does to identifiers it took for numbers: ``1,02346E+09``, ``1023456789.0``.
_SCIENTIFIC = re.compile(r"\d+(?:[.,]\d+)?[eE][+-]?\d+")
_FLOAT_TEXT = re.compile(r"\d{4,}\.0+")


def _text(value: Cell) -> str:
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


def _date(value: Cell, text: str) -> date:
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
    raise ValueError("not a date (expected 2026-01-20 or 20/01/2026)")


class _RowProblems:
    """The problems of one row, each naming its column as the file writes it, in column order."""

    def __init__(self, headers: Mapping[str, tuple[int, str]]) -> None:
        self.headers = headers
        self.refusals: list[tuple[int, str]] = []
        self.warnings: list[tuple[int, str]] = []

    def _describe(self, name: str, problem: str) -> tuple[int, str]:
        index, header = self.headers.get(name, (len(self.headers), _BY_FIELD[name].spanish))
        return index, f"{header}: {problem}"

    def refuse(self, name: str, problem: str) -> None:
        self.refusals.append(self._describe(name, problem))

    def warn(self, name: str, problem: str) -> None:
        self.warnings.append(self._describe(name, problem))

    def reason(self) -> str:
        """Refusals, then warnings."""
        return "; ".join(text for _, text in [*sorted(self.refusals), *sorted(self.warnings)])


class _RowParser:
    """Cells of one row → a :class:`RosterRow`, or the reasons it cannot be one."""

    def __init__(self, headers: Mapping[str, tuple[int, str]]) -> None:
        self.headers = headers
        self.indexes = [(name, index) for name, (index, _) in headers.items()]
        #: Programs, centros and regionals already validated, by their text: a roster has a
        #: few hundred of them over 100,000 rows, and every row holding the same (immutable)
        #: instance is most of what keeps a big roster's memory down.
        self.shared: dict[tuple[str, ...], ContractModel] = {}

    def parse(self, cells: Sequence[Cell], line: int) -> tuple[RosterRow | None, list[RosterError]]:
        width = len(cells)
        raw: dict[str, Cell] = dict.fromkeys(_BY_FIELD)
        raw.update({name: cells[index] for name, index in self.indexes if index < width})
        texts = {name: _text(value) for name, value in raw.items()}
        problems = _RowProblems(self.headers)
        person, key = self._person(raw, texts, problems)
        role = self._role(texts, problems)
        enrollment, places = self._enrollment(raw, texts, role, problems)
        errors: list[RosterError] = []
        row: RosterRow | None = None
        if problems.refusals or person is None or role is None:
            reason = problems.reason() or "the row cannot be used"
            errors.append(RosterError(line, reason, person_key=key))
        else:
            # Every part is validated already; constructing skips validating it all again.
            row = RosterRow.model_construct(
                line=line,
                person=person,
                role=role,
                enrollment=enrollment,
                ficha=places["ficha"],
                centro_code=places["centro_code"],
                regional_code=places["regional_code"],
            )
            if problems.warnings:
                reason = problems.reason() + "; the row is kept without it"
                errors.append(RosterError(line, reason, person_key=key, kept=True))
        return row, errors

    def _person(
        self, raw: Mapping[str, Cell], texts: Mapping[str, str], problems: _RowProblems
    ) -> tuple[PersonPayload | None, str | None]:
        document_type = _choice(
            texts,
            "document_type",
            _DOCUMENT_TYPES,
            "unknown document type (expected CC, TI, CE, PEP, PPT or PA)",
            problems,
        )
        number = texts["document_number"]
        key: str | None = None
        if not number:
            problems.refuse("document_number", "is empty")
        elif _spreadsheet_number(number):
            problems.refuse("document_number", _SPREADSHEET_NUMBER)
        elif document_type is not None:
            try:
                key = person_key(document_type, normalize_document(document_type, number))
            except ValueError as error:
                problems.refuse("document_number", str(error))
        for name in ("first_names", "last_names"):
            if not texts[name]:
                problems.refuse(name, "is empty")
        email = texts["personal_email"] or None
        if email is not None and normalize_email(email) is None:
            problems.warn("personal_email", "is not a usable email address")
        birth: date | None = None
        if texts["birth_date"]:
            try:
                birth = _date(raw["birth_date"], texts["birth_date"])
            except ValueError as error:
                problems.warn("birth_date", str(error))
        if problems.refusals or document_type is None:
            return None, key
        payload = {
            "document_type": document_type,
            "document_number": number,
            # names and fichas repeat across a roster: one string each, not one per row
            "first_names": sys.intern(texts["first_names"]),
            "last_names": sys.intern(texts["last_names"]),
            "personal_email": email,
            "mobile_phone": texts["mobile_phone"] or None,
            "birth_date": birth,
        }
        try:
            return _compact(PersonPayload.model_validate(payload)), key
        except ValidationError as error:
            _report(error, problems, lambda loc: str(loc[0]))
            return None, key

    @staticmethod
    def _role(texts: Mapping[str, str], problems: _RowProblems) -> Role | None:
        if not texts["role"]:
            return Role.APRENDIZ  # a Sofia report lists apprentices unless it says otherwise
        return _choice(texts, "role", _ROLES, "only APRENDIZ and INSTRUCTOR rows are imported", problems)

    def _enrollment(
        self, raw: Mapping[str, Cell], texts: Mapping[str, str], role: Role | None, problems: _RowProblems
    ) -> tuple[EnrollmentPayload | None, dict[str, str | None]]:
        places = {name: texts[name] or None for name in ("ficha", "centro_code", "regional_code")}
        for name, text in places.items():
            if text is not None and _spreadsheet_number(text):
                problems.refuse(name, _SPREADSHEET_NUMBER)
        if role is Role.INSTRUCTOR and not all(texts[name] for name in _ENROLLMENT_FIELDS):
            return None, places  # an instructor's row need not describe an enrollment
        for name in _ENROLLMENT_FIELDS:
            if not texts[name] and name not in _CHOICES:
                problems.refuse(name, "is empty")
        status = _choice(texts, "status", _STATUSES, "unknown enrollment status", problems)
        modality = _choice(texts, "modality", _MODALITIES, "unknown modality", problems)
        dates: dict[str, date] = {}
        for name in ("start_date", "end_date"):
            if texts[name]:
                try:
                    dates[name] = _date(raw[name], texts[name])
                except ValueError as error:
                    problems.refuse(name, str(error))
        if problems.refusals or status is None or modality is None or len(dates) < 2:
            return None, places
        payload = {
            "ficha": sys.intern(texts["ficha"]),
            "program": {
                "code": texts["program_code"],
                "version": texts["program_version"],
                "name": texts["program_name"],
                "level": _word(texts["level"]),
            },
            "centro": {"code": texts["centro_code"], "name": texts["centro_name"]},
            "regional": {"code": texts["regional_code"], "name": texts["regional_name"]},
            "modality": modality,
            "status": status,
            **dates,
        }
        parts = {name: self.shared.get((name, *values.values())) for name, values in _parts(payload)}
        if all(parts.values()):
            payload.update(parts)  # validated before: model_validate keeps these instances
        try:
            enrollment = _compact(EnrollmentPayload.model_validate(payload))
        except ValidationError as error:
            _report(error, problems, _enrollment_field)
            return None, places
        for name, values in _parts(payload):
            self.shared.setdefault((name, *values.values()), getattr(enrollment, name))
        return enrollment, places


_Model = TypeVar("_Model", bound=ContractModel)
#: One "which fields were given" set per distinct set of fields (see :func:`_compact`).
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


def _compact(model: _Model) -> _Model:
    """``model`` sharing its "fields set" with every row that gave the same fields.

    pydantic keeps, per instance, the set of fields the input gave: 728 bytes for a payload,
    more than the payload itself, twice per roster row. Rows give the same fields, the models
    are frozen (nothing adds to the set) and pydantic copies the set before any
    ``model_copy`` changes it, so one set serves them all: 140 MB less for 100,000 people.
    """
    given = frozenset(model.model_fields_set)
    shared = _FIELDS_SETS.setdefault(given, set(given))  # one atomic dict operation: no lock
    object.__setattr__(model, "__pydantic_fields_set__", shared)
    return model


def _parts(payload: Mapping[str, object]) -> Iterator[tuple[str, Mapping[str, str]]]:
    """The sub-objects of an enrollment payload still given as text (not yet shared)."""
    for name in ("program", "centro", "regional"):
        value = payload[name]
        if isinstance(value, dict):
            yield name, value


#: Columns read through :func:`_choice`, which reports their emptiness itself.
_CHOICES = frozenset({"document_type", "role", "status", "modality"})
_SPREADSHEET_NUMBER = "was turned into a number by a spreadsheet (format the column as text)"


def _spreadsheet_number(text: str) -> bool:
    return bool(_SCIENTIFIC.fullmatch(text) or _FLOAT_TEXT.fullmatch(text))


def _choice(
    texts: Mapping[str, str], name: str, words: Mapping[str, _Word], problem: str, problems: _RowProblems
) -> _Word | None:
    """A closed-vocabulary cell (``En formación`` → ``EN_FORMACION``), or a refusal."""
    text = texts[name]
    if not text:
        problems.refuse(name, "is empty")
        return None
    found = words.get(_word(text))
    if found is None:
        problems.refuse(name, problem)
    return found


def _enrollment_field(loc: tuple[int | str, ...]) -> str:
    """A pydantic location in :class:`EnrollmentPayload` → the roster column's field name."""
    if len(loc) >= 2 and loc[0] in {"program", "centro", "regional"}:
        if loc[0] == "program":
            return {"code": "program_code", "name": "program_name", "version": "program_version"}.get(
                str(loc[1]), "level"
            )
        return f"{loc[0]}_{loc[1]}"
    return str(loc[0])


def _report(
    error: ValidationError, problems: _RowProblems, to_field: Callable[[tuple[int | str, ...]], str]
) -> None:
    for detail in error.errors(include_input=False, include_url=False):
        name = to_field(detail["loc"])
        message = str(detail["msg"]).removeprefix("Value error, ")
        if name in _BY_FIELD:
            problems.refuse(name, message)
        else:
            problems.refusals.append((len(problems.headers), message))


# --- CSV bytes → lines ---------------------------------------------------------------------


class _DecodingError(Exception):
    """Raised through :mod:`csv` by the decoder; the reader adds the line number."""


class _Decoder:
    """Bytes → text, UTF-8 or Windows-1252, decided late and checked to the end (module doc)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""
        self._eof = False
        self.encoding: str | None = None  # None while everything seen is ASCII
        self._decoder: codecs.IncrementalDecoder | None = None

    def _fill(self, size: int) -> None:
        while not self._eof and len(self._pending) < size:
            chunk = next(self._chunks, b"")
            if not chunk:
                self._eof = True
            self._pending += chunk

    def start(self) -> None:
        """Settle a BOM; refuse what is clearly no CSV roster."""
        self._fill(4)
        if self._pending.startswith(_UTF8_BOM):
            self._pending = self._pending[len(_UTF8_BOM) :]
            self._choose("utf-8-sig")
        elif self._pending.startswith(_UTF16_BOMS):
            raise RosterFormatError("UTF-16 files are not supported: export the roster as CSV UTF-8 or XLSX")

    def _choose(self, encoding: str) -> None:
        self.encoding = encoding
        self._decoder = codecs.getincrementaldecoder("cp1252" if encoding == "cp1252" else "utf-8")("strict")

    def pieces(self) -> Iterator[str]:
        while True:
            if not self._pending:
                if self._eof:
                    break
                self._fill(1)
                continue
            if self._decoder is None:
                first = _NON_ASCII.search(self._pending)
                if first is None:
                    text, self._pending = self._pending.decode("ascii"), b""
                    yield text
                    continue
                if first.start():
                    yield self._pending[: first.start()].decode("ascii")
                    self._pending = self._pending[first.start() :]
                self._fill(DETECTION_WINDOW)
                self._choose(self._detect(self._pending[:DETECTION_WINDOW]))
            data, self._pending = self._pending, b""
            if self.encoding == "cp1252" and data[-1:] in {b"\xc2", b"\xc3"} and not self._eof:
                data, self._pending = data[:-1], data[-1:]  # checked with the byte that follows
            yield from self._decode(data)
            self._fill(len(self._pending) + 1)
        if self._decoder is not None:
            yield self._decoder.decode(b"", final=True)

    def _decode(self, data: bytes) -> Iterator[str]:
        """``data`` as text; at a byte the encoding cannot have, the text before it, then
        :class:`_DecodingError` (so the error is reported on the right line)."""
        assert self._decoder is not None  # noqa: S101 - chosen before anything is decoded
        if self.encoding == "cp1252" and (mixed := _UTF8_LATIN1.search(data)):
            yield self._decoder.decode(data[: mixed.start()])
            raise _DecodingError("UTF-8 letters in a Windows-1252 file: it mixes encodings")
        held: bytes = getattr(self._decoder, "buffer", b"")  # an incomplete UTF-8 sequence
        try:
            text = self._decoder.decode(data)
        except UnicodeDecodeError as error:
            valid = (held + data)[: error.start]
            yield valid.decode("cp1252" if self.encoding == "cp1252" else "utf-8")
            name = "Windows-1252" if self.encoding == "cp1252" else "UTF-8"
            raise _DecodingError(f"the file stops being valid {name} here: it mixes encodings") from None
        yield text

    def _detect(self, window: bytes) -> str:
        try:
            # the window may end inside a character unless it holds the rest of the file
            whole = self._eof and len(self._pending) <= len(window)
            codecs.getincrementaldecoder("utf-8")("strict").decode(window, final=whole)
        except UnicodeDecodeError:
            pass
        else:
            return "utf-8"
        if _UTF8_LATIN1.search(window):
            raise RosterFormatError(
                "the file is not valid UTF-8 but holds UTF-8 letters: it mixes encodings; "
                "save it as CSV UTF-8"
            )
        try:
            window.decode("cp1252")
        except UnicodeDecodeError:
            raise RosterFormatError("the file is neither UTF-8 nor Windows-1252 text") from None
        return "cp1252"


def _lines(pieces: Iterable[str]) -> Iterator[str]:
    """Physical lines, ending in ``\\r\\n``, ``\\n`` or ``\\r`` kept (what :mod:`csv` wants)."""
    buffer = ""
    for piece in pieces:
        buffer += piece
        start = 0
        for match in _LINE_END.finditer(buffer):
            if match.group() == "\r" and match.end() == len(buffer):
                break  # the "\n" of a "\r\n" may be in the next piece
            yield buffer[start : match.end()]
            start = match.end()
        buffer = buffer[start:]
        if len(buffer) > MAX_LINE_CHARS:
            raise RosterFormatError("a line is longer than a roster line can be: is this a CSV file?")
    if buffer:
        yield buffer


def _delimiter(header_line: str) -> str:
    """``;`` or ``,``: whichever splits the header into more known columns (then more cells)."""

    def score(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([header_line], delimiter=delimiter))
        return sum(1 for cell in cells if _fold(cell) in _HEADER_NAMES), len(cells)

    return max((";", ","), key=score)


# --- the reader ----------------------------------------------------------------------------


class RosterReader:
    """A roster being read: iterate it once for its good rows; bad ones land in ``errors``.

    Use as a context manager (or call :meth:`close`) so files it opened are closed. The header
    is read on construction, so a file with missing columns fails at once. In CSV a row with
    more cells than the header is refused (an unquoted delimiter shifts every column after
    it); in XLSX cells beyond the header's columns are ignored. If the file turns
    out unreadable mid-way (mixed encodings) iteration raises :class:`RosterFormatError`:
    discard what was read.
    """

    def __init__(self, source: Source) -> None:
        self.errors: list[RosterError] = []
        self.rows_read = 0
        self.last_line = 0
        self.delimiter: str | None = None
        self._owned: IO[bytes] | None = None
        self._workbook: Any = None
        self._decoder: _Decoder | None = None
        self._iterated = False
        stream = self._open(source)
        try:
            head = _peek(stream, 8)
            if head.startswith(_ZIP_MAGIC):
                self.file_format: Literal["csv", "xlsx"] = "xlsx"
                self._rows = self._open_xlsx(stream)
            elif head.startswith(_OLE2_MAGIC):
                raise RosterFormatError(
                    "legacy .xls workbooks are not supported: save the roster as XLSX or CSV"
                )
            else:
                self.file_format = "csv"
                self._rows = self._open_csv(stream)
            self.header_line, headers = self._header()
            self._header_width = len(headers)
            self.columns = _map_headers(headers)
        except BaseException:
            self.close()
            raise
        self._parser = _RowParser(self.columns)

    @property
    def encoding(self) -> str | None:
        """``utf-8-sig``, ``utf-8`` or ``cp1252`` once decided; ``ascii`` while nothing else was seen."""
        if self._decoder is None:
            return None
        return self._decoder.encoding or "ascii"

    def _open(self, source: Source) -> IO[bytes]:
        if isinstance(source, str | os.PathLike):
            self._owned = Path(source).open("rb")  # noqa: SIM115 - closed by close()
            return self._owned
        return source

    def _open_xlsx(self, stream: IO[bytes]) -> Iterator[tuple[int, Sequence[Cell]]]:
        if not stream.seekable():
            raise RosterFormatError("an XLSX roster must be read from a file or a seekable stream")
        try:
            self._workbook = load_workbook(stream, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError):
            raise RosterFormatError("the file is a ZIP archive but not a readable XLSX workbook") from None
        if not self._workbook.worksheets:
            raise RosterFormatError("the workbook has no sheet")
        sheet = self._workbook.worksheets[0]
        # Some exporters declare a wrong sheet size ("A1"); read the rows as they are instead.
        sheet.reset_dimensions()
        return enumerate(sheet.iter_rows(values_only=True), start=1)

    def _open_csv(self, stream: IO[bytes]) -> Iterator[tuple[int, Sequence[Cell]]]:
        def chunks() -> Iterator[bytes]:
            while chunk := stream.read(CHUNK_SIZE):
                if not isinstance(chunk, bytes):
                    raise TypeError("open the roster in binary mode ('rb')")
                yield chunk

        self._decoder = _Decoder(chunks())
        self._decoder.start()
        lines = _lines(self._decoder.pieces())
        skipped = 0
        try:
            for line in lines:
                if line.strip():
                    first = line
                    break
                skipped += 1
            else:
                raise RosterFormatError("the roster is empty")
        except _DecodingError as error:
            raise RosterFormatError(f"line {skipped + 1}: {error}; save it again as CSV UTF-8") from None
        self.delimiter = _delimiter(first)
        reader = csv.reader(_chain(first, lines), delimiter=self.delimiter)

        def rows() -> Iterator[tuple[int, Sequence[Cell]]]:
            previous = 0
            try:
                for cells in reader:
                    start = previous + 1
                    previous = reader.line_num
                    yield skipped + start, cells
            except csv.Error as error:
                raise RosterFormatError(f"line {skipped + previous + 1}: {error}") from None
            except _DecodingError as error:
                raise RosterFormatError(
                    f"line {skipped + previous + 1}: {error}; save it again as CSV UTF-8"
                ) from None

        return rows()

    def _header(self) -> tuple[int, Sequence[str]]:
        for line, cells in self._rows:
            texts = [_text(cell) for cell in cells]
            if any(texts):
                return line, texts
        raise RosterFormatError("the roster is empty")

    def __iter__(self) -> Iterator[RosterRow]:
        if self._iterated:
            raise RuntimeError("a roster can be iterated only once")
        self._iterated = True
        for line, cells in self._rows:
            if _blank(cells):
                continue
            self.rows_read += 1
            self.last_line = line
            if self.file_format == "csv" and not _blank(cells[self._header_width :]):
                self.errors.append(
                    RosterError(line, "the row has more cells than the header (a delimiter inside a value?)")
                )
                continue
            row, errors = self._parser.parse(cells, line)
            self.errors.extend(errors)
            if row is not None:
                yield row

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def __enter__(self) -> RosterReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _blank(cells: Sequence[Cell]) -> bool:
    return not any(_text(cell) for cell in cells)


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _peek(stream: IO[bytes], size: int) -> bytes:
    """The first bytes, left in the stream (seek back, or a buffered peek)."""
    if isinstance(stream, io.TextIOBase):
        raise TypeError("open the roster in binary mode ('rb')")
    if stream.seekable():
        position = stream.tell()
        head = stream.read(size)
        stream.seek(position)
        return head
    peek = getattr(stream, "peek", None)
    if peek is not None:
        return bytes(peek(size)[:size])
    return b""  # cannot look without consuming: read it as CSV


# --- whole rosters -------------------------------------------------------------------------


def open_roster(source: Source) -> RosterReader:
    """A roster file (path or binary stream; CSV or XLSX, told apart by content) to iterate.

    ``with open_roster(path) as roster: for row in roster: ...``; then ``roster.errors``.
    """
    return RosterReader(source)


@dataclass
class _PersonDraft:
    person: PersonPayload
    facts: PersonFacts
    roles: set[Role] = field(default_factory=set)
    enrollments: dict[str, EnrollmentPayload] = field(default_factory=dict)
    instructor_fichas: set[str] = field(default_factory=set)
    regional_codes: set[str] = field(default_factory=set)
    centro_codes: set[str] = field(default_factory=set)
    unplaced: set[str] = field(default_factory=set)
    lines: list[int] = field(default_factory=list)


def roster_people(
    rows: Iterable[RosterRow], errors: list[RosterError] | None = None
) -> dict[str, RosterPerson]:
    """Rows → one :class:`RosterPerson` per person key, in order of first appearance.

    A ficha listed twice for the same apprentice keeps its first row; the later line is
    reported in ``errors`` (when given) as refused.
    """
    drafts: dict[str, _PersonDraft] = {}
    for row in rows:
        key = row.key
        draft = drafts.get(key)
        if draft is None:
            draft = drafts[key] = _PersonDraft(row.person, PersonFacts.of(row.person))
        enrollment = row.enrollment
        if row.role is Role.APRENDIZ and enrollment is not None:
            first = draft.enrollments.get(enrollment.ficha)
            if first is not None:
                if errors is not None:
                    errors.append(
                        RosterError(
                            row.line,
                            f"{_BY_FIELD['ficha'].spanish}: the same ficha is listed twice "
                            "for this person; the first row is kept",
                            person_key=key,
                        )
                    )
                continue
            draft.enrollments[enrollment.ficha] = enrollment
        elif row.role is Role.INSTRUCTOR and row.ficha is not None:
            draft.instructor_fichas.add(row.ficha)
        draft.roles.add(row.role)
        draft.lines.append(row.line)
        if row.regional_code is not None:
            draft.regional_codes.add(row.regional_code)
        else:
            draft.unplaced.add("regional")
        if row.centro_code is not None:
            draft.centro_codes.add(row.centro_code)
        else:
            draft.unplaced.add("centro")
    sets: dict[frozenset[Any], frozenset[Any]] = {}

    def shared(items: Iterable[Any]) -> frozenset[Any]:
        """Most people have the same roles and places: one set object each, not one per person."""
        value = frozenset(items)
        return sets.setdefault(value, value)

    return {
        key: RosterPerson(
            person=draft.person,
            roles=shared(draft.roles),
            enrollments=tuple(draft.enrollments[ficha] for ficha in sorted(draft.enrollments)),
            instructor_fichas=shared(draft.instructor_fichas),
            regional_codes=shared(draft.regional_codes),
            centro_codes=shared(draft.centro_codes),
            lines=tuple(draft.lines),
            unplaced=shared(draft.unplaced),
            known_facts=draft.facts,
        )
        for key, draft in drafts.items()
    }


def load_roster(source: Source) -> Roster:
    """Read a whole roster: its people, every error in line order, and the counts."""
    with open_roster(source) as reader:
        duplicates: list[RosterError] = []
        people = roster_people(reader, duplicates)
        return Roster(
            people=people,
            errors=tuple(sorted([*reader.errors, *duplicates], key=lambda error: error.line)),
            rows_read=reader.rows_read,
            file_format=reader.file_format,
            encoding=reader.encoding,
            delimiter=reader.delimiter,
            last_line=reader.last_line,
        )
