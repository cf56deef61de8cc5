"""What misena knows about a person: the *desired* side, folded from Sofia Plus events.

Events arrive late, twice and out of order, so :func:`apply_event` is a merge, not a
replay. Each field remembers the ``occurred_at`` of the event that last set it and only a
newer event overwrites it. Two *different* values stamped with the same instant are settled
by comparing the values themselves (the larger wins), so the result never depends on
arrival order; an exact duplicate compares equal and changes nothing.

Roles need one more rule. ``person.roles_changed`` carries the full set, while enrollment
events add ``APRENDIZ``. The record holds, order-independently:

    roles = R + {APRENDIZ if some enrollment event is newer than R}

where R is the set of the newest ``roles_changed`` (the union of them if several share that
instant) and ``field_times["roles"]`` is R's instant. ``instructor_fichas`` travels with R.
``ever_instructor`` is the union over every roles event (current or previous roles): once
an instructor, the person's account is warranted until lifecycle suspends it.

:func:`merge_records` folds two records of the same person (known under two documents
before Sofia told us of the document change) with the same rules, so the merge is as
order-independent as the events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sofia_sync.contract import (
    DocumentType,
    EnrollmentCreated,
    EnrollmentPayload,
    EnrollmentStatus,
    EnrollmentStatusChanged,
    Event,
    Modality,
    PersonPayload,
    PersonUpdated,
    Role,
    RolesChanged,
    person_key,
)
from sofia_sync.normalize import normalize_email, spanish_name, to_e164

Rank = tuple[str, ...]

NAMES = "names"
PERSONAL_EMAIL = "personal_email"
MOBILE = "mobile"
BIRTH_DATE = "birth_date"
ROLES = "roles"
DOCUMENT = "document"
ENROLLMENT_PREFIX = "enrollment:"


def enrollment_field(ficha: str) -> str:
    """The ``field_times`` key of one enrollment."""
    return f"{ENROLLMENT_PREFIX}{ficha}"


class EnrollmentRecord(BaseModel):
    """One ficha of the person, as of its newest event (``status_at``)."""

    model_config = ConfigDict(frozen=True)

    ficha: str
    program_code: str
    program_name: str
    program_level: str
    centro_code: str
    centro_name: str
    regional_code: str
    regional_name: str
    modality: Modality
    status: EnrollmentStatus
    start_date: date
    end_date: date
    status_at: datetime

    @classmethod
    def from_payload(cls, payload: EnrollmentPayload, status_at: datetime) -> EnrollmentRecord:
        return cls(**_enrollment_values(payload), status_at=status_at)

    def states(self, payload: EnrollmentPayload) -> bool:
        """Whether ``payload`` says exactly what this record holds (its date aside).

        Field by field as :func:`_enrollment_values` maps them, written out: a plan asks it
        for every enrollment of 100,000 people, and building that dict each time was most of
        the cost of telling that the roster restates misena's record.
        """
        program, centro, regional = payload.program, payload.centro, payload.regional
        return (
            self.ficha == payload.ficha
            and self.status == payload.status
            and self.start_date == payload.start_date
            and self.end_date == payload.end_date
            and self.program_code == program.code
            and self.program_name == program.name
            and self.program_level == program.level
            and self.centro_code == centro.code
            and self.centro_name == centro.name
            and self.regional_code == regional.code
            and self.regional_name == regional.name
            and self.modality == payload.modality
        )

    def rank(self) -> Rank:
        """Every field but ``status_at``: the tie-break between same-instant events."""
        return tuple(str(value) for name, value in self if name != "status_at")


def _enrollment_values(payload: EnrollmentPayload) -> dict[str, Any]:
    return {
        "ficha": payload.ficha,
        "program_code": payload.program.code,
        "program_name": payload.program.name,
        "program_level": payload.program.level,
        "centro_code": payload.centro.code,
        "centro_name": payload.centro.name,
        "regional_code": payload.regional.code,
        "regional_name": payload.regional.name,
        "modality": payload.modality,
        "status": payload.status,
        "start_date": payload.start_date,
        "end_date": payload.end_date,
    }


class PersonRecord(BaseModel):
    """The person as Sofia Plus last described each of their fields.

    ``previous_keys`` (beyond the brief) remembers the person keys this person was known by
    before a document change (TI → CC), so the planner recognises the account it created
    under the old document as theirs instead of refusing it as someone else's.
    """

    model_config = ConfigDict(frozen=True)

    document_type: DocumentType
    document_number: str
    first_names: str
    last_names: str
    personal_email: str | None = None
    mobile_e164: str | None = None
    birth_date: date | None = None
    roles: frozenset[Role] = frozenset()
    enrollments: tuple[EnrollmentRecord, ...] = ()
    field_times: dict[str, datetime] = Field(default_factory=dict)
    previous_keys: frozenset[str] = frozenset()
    ever_instructor: bool = False
    instructor_fichas: frozenset[str] = frozenset()

    @field_validator("enrollments")
    @classmethod
    def _one_per_ficha_sorted(cls, enrollments: tuple[EnrollmentRecord, ...]) -> tuple[EnrollmentRecord, ...]:
        fichas = [enrollment.ficha for enrollment in enrollments]
        if len(set(fichas)) != len(fichas):
            raise ValueError("a ficha appears twice")
        return tuple(sorted(enrollments, key=lambda enrollment: enrollment.ficha))

    @property
    def key(self) -> str:
        return person_key(self.document_type, self.document_number)

    def enrollment(self, ficha: str) -> EnrollmentRecord | None:
        return next((e for e in self.enrollments if e.ficha == ficha), None)


@dataclass
class _Draft:
    """A record being changed by one event: plain values, validated once at the end."""

    values: dict[str, Any]
    times: dict[str, datetime]
    enrollments: dict[str, EnrollmentRecord] = field(default_factory=dict)

    def offer(self, name: str, at: datetime, rank: Rank, current: Rank, **values: Any) -> bool:
        """Take ``values`` if (instant, value) is newer than what last set field ``name``."""
        last = self.times.get(name)
        if last is not None and (at, rank) <= (last, current):
            return False
        self.values.update(values)
        self.times[name] = at
        return True


def apply_event(record: PersonRecord | None, event: Event) -> PersonRecord:
    """``record`` updated by ``event`` — pure, idempotent and independent of arrival order.

    The caller chooses the record: the one stored under the event's person key, or, for a
    ``person.updated`` with ``previous_document``, the one under the previous key. The
    document is just another field here: the newest event's document wins.
    """
    at = event.occurred_at.astimezone(UTC)
    person = event.data.person
    current = record if record is not None else _first_record(person)
    draft = _Draft(
        values=dict(current),
        times=dict(current.field_times),
        enrollments={e.ficha: e for e in current.enrollments},
    )
    _offer_person(draft, current, person, at)
    _remember_keys(draft, current, event)
    if isinstance(event, EnrollmentCreated | EnrollmentStatusChanged):
        _offer_enrollment(draft, event.data.enrollment, at)
    elif isinstance(event, RolesChanged):
        _offer_roles(draft, event.data.known_roles(), frozenset(event.data.fichas), at)
        if Role.INSTRUCTOR in event.data.known_roles() | event.data.previous_known_roles():
            draft.values["ever_instructor"] = True
    draft.values["enrollments"] = tuple(draft.enrollments.values())
    draft.values["field_times"] = draft.times
    return PersonRecord.model_validate(draft.values)


def _first_record(person: PersonPayload) -> PersonRecord:
    """A record with no field times yet, so every field of the first event is taken."""
    return PersonRecord(
        document_type=person.document_type,
        document_number=person.normalized_number,
        first_names=spanish_name(person.first_names),
        last_names=spanish_name(person.last_names),
    )


def _offer_person(draft: _Draft, current: PersonRecord, person: PersonPayload, at: datetime) -> None:
    """Every event carries the whole person: each of its fields is offered on its own."""
    number = person.normalized_number
    draft.offer(
        DOCUMENT,
        at,
        (person.document_type.value, number),
        (current.document_type.value, current.document_number),
        document_type=person.document_type,
        document_number=number,
    )
    first, last = spanish_name(person.first_names), spanish_name(person.last_names)
    draft.offer(
        NAMES,
        at,
        (first, last),
        (current.first_names, current.last_names),
        first_names=first,
        last_names=last,
    )
    email = normalize_email(person.personal_email)
    draft.offer(PERSONAL_EMAIL, at, _rank(email), _rank(current.personal_email), personal_email=email)
    mobile = to_e164(person.mobile_phone)
    draft.offer(MOBILE, at, _rank(mobile), _rank(current.mobile_e164), mobile_e164=mobile)
    birth = person.birth_date
    draft.offer(BIRTH_DATE, at, _rank(birth), _rank(current.birth_date), birth_date=birth)


def _rank(value: object) -> Rank:
    """``None`` sorts below every value."""
    return () if value is None else (str(value),)


def _remember_keys(draft: _Draft, current: PersonRecord, event: Event) -> None:
    """Every key this person was ever known by, except the one they are known by now."""
    seen = {current.key, *current.previous_keys, event.data.person.key}
    if isinstance(event, PersonUpdated) and event.data.previous_document is not None:
        seen.add(event.data.previous_document.key)
    now = person_key(draft.values["document_type"], draft.values["document_number"])
    draft.values["previous_keys"] = frozenset(seen - {now})


def _offer_enrollment(draft: _Draft, payload: EnrollmentPayload, at: datetime) -> None:
    offered = EnrollmentRecord.from_payload(payload, at)
    existing = draft.enrollments.get(payload.ficha)
    current = existing.rank() if existing else ()
    if draft.offer(enrollment_field(payload.ficha), at, offered.rank(), current):
        draft.enrollments[payload.ficha] = offered
    roles_at = draft.times.get(ROLES)
    if roles_at is None or at > roles_at:
        draft.values["roles"] = frozenset({*draft.values["roles"], Role.APRENDIZ})


def _offer_roles(draft: _Draft, roles: frozenset[Role], fichas: frozenset[str], at: datetime) -> None:
    last = draft.times.get(ROLES)
    if last is not None and at < last:
        return
    if last is not None and at == last:
        draft.values["roles"] = frozenset({*draft.values["roles"], *roles})
        draft.values["instructor_fichas"] = frozenset({*draft.values["instructor_fichas"], *fichas})
        return
    newest_enrollment = max((e.status_at for e in draft.enrollments.values()), default=None)
    apprentice = newest_enrollment is not None and newest_enrollment > at
    draft.values["roles"] = roles | ({Role.APRENDIZ} if apprentice else set())
    draft.values["instructor_fichas"] = fichas
    draft.times[ROLES] = at


def merge_records(kept: PersonRecord, other: PersonRecord) -> PersonRecord:
    """One record from two of the same person, each field from the newer of the two.

    Used when a document change reaches us after events under the new document: the result
    is what the union of both records' events would have produced, whichever is ``kept``
    (only the document, like any field, goes to the newer side).
    """
    draft = _Draft(
        values=dict(kept),
        times=dict(kept.field_times),
        enrollments={e.ficha: e for e in kept.enrollments},
    )
    for name, at in other.field_times.items():
        if name in _PERSON_FIELDS:
            offered = {attr: getattr(other, attr) for attr in _PERSON_FIELDS[name]}
            rank = _field_rank(other, name)
            draft.offer(name, at, rank, _field_rank(kept, name), **offered)
    for enrollment in other.enrollments:
        existing = draft.enrollments.get(enrollment.ficha)
        current = existing.rank() if existing else ()
        if draft.offer(enrollment_field(enrollment.ficha), enrollment.status_at, enrollment.rank(), current):
            draft.enrollments[enrollment.ficha] = enrollment
    draft.values["roles"] = _merged_roles(kept, other)
    draft.values["instructor_fichas"] = _merged_instructor_fichas(kept, other)
    if other.field_times.get(ROLES) is not None:
        draft.times[ROLES] = max(t for t in (kept.field_times.get(ROLES), other.field_times[ROLES]) if t)
    draft.values["ever_instructor"] = kept.ever_instructor or other.ever_instructor
    now = person_key(draft.values["document_type"], draft.values["document_number"])
    seen = {kept.key, other.key, *kept.previous_keys, *other.previous_keys}
    draft.values["previous_keys"] = frozenset(seen - {now})
    draft.values["enrollments"] = tuple(draft.enrollments.values())
    draft.values["field_times"] = draft.times
    return PersonRecord.model_validate(draft.values)


#: The record attributes each person field group sets.
_PERSON_FIELDS: dict[str, tuple[str, ...]] = {
    DOCUMENT: ("document_type", "document_number"),
    NAMES: ("first_names", "last_names"),
    PERSONAL_EMAIL: ("personal_email",),
    MOBILE: ("mobile_e164",),
    BIRTH_DATE: ("birth_date",),
}


def _field_rank(record: PersonRecord, name: str) -> Rank:
    """The same tie-break values :func:`_offer_person` uses for each field group."""
    if name == DOCUMENT:
        return (record.document_type.value, record.document_number)
    if name == NAMES:
        return (record.first_names, record.last_names)
    return _rank(getattr(record, _PERSON_FIELDS[name][0]))


def _newest_enrollment(record: PersonRecord) -> datetime | None:
    return max((e.status_at for e in record.enrollments), default=None)


def _roles_newer_side(kept: PersonRecord, other: PersonRecord) -> int:
    """-1 when ``kept`` holds the newer roles snapshot, 1 when ``other`` does, 0 on a tie."""
    left, right = kept.field_times.get(ROLES), other.field_times.get(ROLES)
    if left == right:
        return 0
    if right is None or (left is not None and left > right):
        return -1
    return 1


def _merged_roles(kept: PersonRecord, other: PersonRecord) -> frozenset[Role]:
    """R of the newer snapshot, plus APRENDIZ when the other side enrolled after it."""
    side = _roles_newer_side(kept, other)
    if side == 0:
        return kept.roles | other.roles
    newer, older = (kept, other) if side < 0 else (other, kept)
    snapshot_at = newer.field_times[ROLES]
    enrolled_after = _newest_enrollment(older)
    apprentice = enrolled_after is not None and enrolled_after > snapshot_at
    return newer.roles | ({Role.APRENDIZ} if apprentice else frozenset())


def _merged_instructor_fichas(kept: PersonRecord, other: PersonRecord) -> frozenset[str]:
    side = _roles_newer_side(kept, other)
    if side == 0:
        return kept.instructor_fichas | other.instructor_fichas
    return kept.instructor_fichas if side < 0 else other.instructor_fichas
