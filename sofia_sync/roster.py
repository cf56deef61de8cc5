"""The Sofia Plus roster export (contract §2) → one entry per person: :class:`Roster`. Pure.

A roster is what a person exports from a Sofia Plus report: a CSV file (UTF-8 with or without
BOM, or Windows-1252; ``;`` or ``,``) or an XLSX workbook.
:func:`~sofia_sync.roster_reader.open_roster` streams it as
:class:`~sofia_sync.roster_rows.RosterRow` objects; rows it cannot use become
:class:`~sofia_sync.roster_rows.RosterError` entries (line number and reason — the reason names
the column, never the value) and do not stop the good ones. :func:`roster_people` folds the
rows into one :class:`RosterPerson` per person key, and :func:`load_roster` does both and
returns a :class:`Roster` with the counts.

The importer's parts live apart, each in its own module: what rows and errors are
(:mod:`sofia_sync.roster_rows`), the columns and header matching
(:mod:`sofia_sync.roster_columns`), cell values (:mod:`sofia_sync.roster_values`), a row's
cells → a row (:mod:`sofia_sync.roster_row_parser`), encoding and delimiter detection
(:mod:`sofia_sync.roster_encoding`) and the CSV/XLSX reader (:mod:`sofia_sync.roster_reader`).
This module holds what the rest of misena uses: the people, the scopes and the whole roster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sofia_sync.contract import EnrollmentPayload, PersonPayload, Role
from sofia_sync.messages import Message, MessageError
from sofia_sync.normalize import normalize_email, spanish_name, to_e164
from sofia_sync.roster_columns import BY_FIELD
from sofia_sync.roster_reader import Source, open_roster
from sofia_sync.roster_rows import RosterError, RosterRow

__all__ = ["PersonFacts", "Roster", "RosterPerson", "Scope", "load_roster", "roster_people"]


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
            raise MessageError(Message("a scope is 'all', 'regional:<code>' or 'centro:<code>'"))
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


#: What folding keeps of one row until every row is read: (line, role, enrollment, ficha,
#: regional code, centro code). A plain tuple rather than a draft of sets per person: most
#: people have one row, and six empty sets, a dict and a list each (1.5 kB) for 100,000
#: people were the roster's peak memory, and most of its folding time.
_RowFacts = tuple[int, Role, EnrollmentPayload | None, str | None, str | None, str | None]


def roster_people(
    rows: Iterable[RosterRow], errors: list[RosterError] | None = None
) -> dict[str, RosterPerson]:
    """Rows → one :class:`RosterPerson` per person key, in order of first appearance.

    A ficha listed twice for the same apprentice keeps its first row; the later line is
    reported in ``errors`` (when given) as refused.
    """
    firsts: dict[str, tuple[PersonPayload, PersonFacts, list[_RowFacts]]] = {}
    for row in rows:
        facts = (row.line, row.role, row.enrollment, row.ficha, row.regional_code, row.centro_code)
        found = firsts.get(row.key)
        if found is None:
            firsts[row.key] = (row.person, PersonFacts.of(row.person), [facts])
        else:
            found[2].append(facts)
    duplicates: list[RosterError] = []
    sets: dict[frozenset[Any], frozenset[Any]] = {}

    def shared(items: Iterable[Any]) -> frozenset[Any]:
        """Most people have the same roles and places: one set object each, not one per person."""
        value = frozenset(items)
        return sets.setdefault(value, value)

    people = {
        key: _fold(key, person, facts, person_rows, duplicates, shared)
        for key, (person, facts, person_rows) in firsts.items()
    }
    if errors is not None:
        errors.extend(sorted(duplicates, key=lambda error: error.line))  # line order, as read
    return people


def _fold(
    key: str,
    person: PersonPayload,
    facts: PersonFacts,
    rows: list[_RowFacts],
    duplicates: list[RosterError],
    shared: Callable[[Iterable[Any]], frozenset[Any]],
) -> RosterPerson:
    """One person's rows (in line order) → their :class:`RosterPerson`."""
    enrollments: dict[str, EnrollmentPayload] = {}
    roles: set[Role] = set()
    instructor_fichas: set[str] = set()
    regional_codes: set[str] = set()
    centro_codes: set[str] = set()
    unplaced: set[str] = set()
    lines: list[int] = []
    for line, role, enrollment, ficha, regional_code, centro_code in rows:
        if role is Role.APRENDIZ and enrollment is not None:
            if enrollment.ficha in enrollments:
                duplicates.append(
                    RosterError(
                        line,
                        Message(
                            "{column}: the same ficha is listed twice for this person; the first row is kept",
                            column=BY_FIELD["ficha"].spanish,
                        ),
                        person_key=key,
                    )
                )
                continue
            enrollments[enrollment.ficha] = enrollment
        elif role is Role.INSTRUCTOR and ficha is not None:
            instructor_fichas.add(ficha)
        roles.add(role)
        lines.append(line)
        if regional_code is not None:
            regional_codes.add(regional_code)
        else:
            unplaced.add("regional")
        if centro_code is not None:
            centro_codes.add(centro_code)
        else:
            unplaced.add("centro")
    return RosterPerson(
        person=person,
        roles=shared(roles),
        enrollments=tuple(enrollments[ficha] for ficha in sorted(enrollments)),
        instructor_fichas=shared(instructor_fichas),
        regional_codes=shared(regional_codes),
        centro_codes=shared(centro_codes),
        lines=tuple(lines),
        unplaced=shared(unplaced),
        known_facts=facts,
    )


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
