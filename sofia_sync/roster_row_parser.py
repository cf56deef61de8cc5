"""One roster row's cells → a :class:`~sofia_sync.roster_rows.RosterRow`, or the reasons it
cannot be one. Pure.

Values follow the webhook contract's rules (:mod:`sofia_sync.contract`): a row is refused only
for what would make the account impossible or wrong. An unusable personal email or birth
date does not refuse the row: it is kept and the problem is reported as a *warning*
(``RosterError.kept``). That matters because the export is the full population of its scope:
a person whose row is refused looks absent, a candidate for suspension — so errors also carry
the row's ``person_key`` when the document itself was readable, for the planner to hold those
people back.

Memory. A roster has 100,000 rows but a few hundred programs, centros and regionals: the
parser shares validated instances, interns repeated strings and shares pydantic's "fields
set" between rows (:func:`_compact`). Apart from the reader, which only feeds it cells.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from typing import TypeVar

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
from sofia_sync.messages import Message, message_of
from sofia_sync.normalize import normalize_document, normalize_email
from sofia_sync.roster_columns import BY_FIELD, ENROLLMENT_FIELDS
from sofia_sync.roster_rows import Cell, RosterError, RosterRow
from sofia_sync.roster_values import (
    DOCUMENT_TYPES,
    MODALITIES,
    ROLES,
    SPREADSHEET_NUMBER,
    STATUSES,
    cell_date,
    cell_text,
    spreadsheet_number,
    word,
)

__all__ = ["RowParser"]

_Word = TypeVar("_Word", DocumentType, EnrollmentStatus, Modality, Role)
_UNUSABLE = Message("the row cannot be used")
_KEPT = Message("the row is kept without it")
_EMPTY = Message("is empty")


class _RowProblems:
    """The problems of one row, each naming its column as the file writes it, in column order."""

    def __init__(self, headers: Mapping[str, tuple[int, str]]) -> None:
        self.headers = headers
        self.refusals: list[tuple[int, Message]] = []
        self.warnings: list[tuple[int, Message]] = []

    def _describe(self, name: str, problem: Message) -> tuple[int, Message]:
        index, header = self.headers.get(name, (len(self.headers), BY_FIELD[name].spanish))
        return index, Message("{column}: {problem}", column=header, problem=problem)

    def refuse(self, name: str, problem: Message) -> None:
        self.refusals.append(self._describe(name, problem))

    def warn(self, name: str, problem: Message) -> None:
        self.warnings.append(self._describe(name, problem))

    def reason(self) -> Message | None:
        """Refusals, then warnings (each list in column order)."""
        ordered = [*sorted(self.refusals, key=_column), *sorted(self.warnings, key=_column)]
        return Message.joined([message for _, message in ordered]) if ordered else None


def _column(problem: tuple[int, Message]) -> int:
    return problem[0]


class RowParser:
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
        raw: dict[str, Cell] = dict.fromkeys(BY_FIELD)
        raw.update({name: cells[index] for name, index in self.indexes if index < width})
        texts = {name: cell_text(value) for name, value in raw.items()}
        problems = _RowProblems(self.headers)
        person, key = self._person(raw, texts, problems)
        role = self._role(texts, problems)
        enrollment, places = self._enrollment(raw, texts, role, problems)
        errors: list[RosterError] = []
        row: RosterRow | None = None
        if problems.refusals or person is None or role is None:
            reason = problems.reason() or _UNUSABLE
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
                kept = Message.joined([problems.reason() or _UNUSABLE, _KEPT])
                errors.append(RosterError(line, kept, person_key=key, kept=True))
        return row, errors

    def _person(
        self, raw: Mapping[str, Cell], texts: Mapping[str, str], problems: _RowProblems
    ) -> tuple[PersonPayload | None, str | None]:
        document_type = _choice(
            texts,
            "document_type",
            DOCUMENT_TYPES,
            Message("unknown document type (expected CC, TI, CE, PEP, PPT or PA)"),
            problems,
        )
        number = texts["document_number"]
        key: str | None = None
        if not number:
            problems.refuse("document_number", _EMPTY)
        elif spreadsheet_number(number):
            problems.refuse("document_number", SPREADSHEET_NUMBER)
        elif document_type is not None:
            try:
                key = person_key(document_type, normalize_document(document_type, number))
            except ValueError as error:
                problems.refuse("document_number", message_of(error))
        for name in ("first_names", "last_names"):
            if not texts[name]:
                problems.refuse(name, _EMPTY)
        email = texts["personal_email"] or None
        if email is not None and normalize_email(email) is None:
            problems.warn("personal_email", Message("is not a usable email address"))
        birth: date | None = None
        if texts["birth_date"]:
            try:
                birth = cell_date(raw["birth_date"], texts["birth_date"])
            except ValueError as error:
                problems.warn("birth_date", message_of(error))
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
        return _choice(
            texts, "role", ROLES, Message("only APRENDIZ and INSTRUCTOR rows are imported"), problems
        )

    def _enrollment(
        self, raw: Mapping[str, Cell], texts: Mapping[str, str], role: Role | None, problems: _RowProblems
    ) -> tuple[EnrollmentPayload | None, dict[str, str | None]]:
        places = {name: texts[name] or None for name in ("ficha", "centro_code", "regional_code")}
        for name, text in places.items():
            if text is not None and spreadsheet_number(text):
                problems.refuse(name, SPREADSHEET_NUMBER)
        if role is Role.INSTRUCTOR and not all(texts[name] for name in ENROLLMENT_FIELDS):
            return None, places  # an instructor's row need not describe an enrollment
        for name in ENROLLMENT_FIELDS:
            if not texts[name] and name not in _CHOICES:
                problems.refuse(name, _EMPTY)
        status = _choice(texts, "status", STATUSES, Message("unknown enrollment status"), problems)
        modality = _choice(texts, "modality", MODALITIES, Message("unknown modality"), problems)
        dates: dict[str, date] = {}
        for name in ("start_date", "end_date"):
            if texts[name]:
                try:
                    dates[name] = cell_date(raw[name], texts[name])
                except ValueError as error:
                    problems.refuse(name, message_of(error))
        if problems.refusals or status is None or modality is None or len(dates) < 2:
            return None, places
        payload = {
            "ficha": sys.intern(texts["ficha"]),
            "program": {
                "code": texts["program_code"],
                "version": texts["program_version"],
                "name": texts["program_name"],
                "level": word(texts["level"]),
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


def _choice(
    texts: Mapping[str, str], name: str, words: Mapping[str, _Word], problem: Message, problems: _RowProblems
) -> _Word | None:
    """A closed-vocabulary cell (``En formación`` → ``EN_FORMACION``), or a refusal."""
    text = texts[name]
    if not text:
        problems.refuse(name, _EMPTY)
        return None
    found = words.get(word(text))
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
        cause = (detail.get("ctx") or {}).get("error")
        if isinstance(cause, BaseException):
            message = message_of(cause)
        else:
            message = Message.verbatim(str(detail["msg"]).removeprefix("Value error, "))
        if name in BY_FIELD:
            problems.refuse(name, message)
        else:
            problems.refusals.append((len(problems.headers), message))
