"""The roster's facts as person records, dated as well as misena can date them. Pure.

A roster is one more source of facts about people, like the webhooks, but it says how things
stand, never since when. Its facts are dated at the export (:func:`roster_record`), except
where misena knows better: a fact the export merely restates keeps misena's date
(:func:`with_roster_facts`), and an ending the export tells about a person with no account
gives no grace period (:func:`endings_undated`). A person missing from a full export is
taken to have left the scope at the export (:func:`absent_record`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sofia_sync.contract import EnrollmentStatus, EnrollmentStatusChanged, Event, Role, RolesChanged
from sofia_sync.person import (
    BIRTH_DATE,
    DOCUMENT,
    MOBILE,
    NAMES,
    PERSONAL_EMAIL,
    ROLES,
    EnrollmentRecord,
    PersonRecord,
    apply_event,
    enrollment_field,
    merge_records,
)
from sofia_sync.policy import PolicySettings
from sofia_sync.roster import RosterPerson, Scope

__all__ = [
    "ABSENT_STATUS",
    "UNDATED",
    "absent_record",
    "endings_undated",
    "in_scope",
    "roster_record",
    "with_roster_facts",
]

#: What a person missing from a full export is taken to have become, in the scope's fichas.
ABSENT_STATUS = EnrollmentStatus.CANCELADO
#: When an ending the roster tells about a person with no account happened, as far as misena
#: can tell: so long ago that no grace period is left (see :func:`endings_undated`).
UNDATED = datetime(1970, 1, 1, tzinfo=UTC)


def roster_record(person: RosterPerson, at: datetime) -> PersonRecord:
    """The roster's facts about a person as a record, every field dated at the export.

    Exactly the fold of the webhooks that would state the same facts (one per enrollment and
    a ``roles_changed``; the tests hold the two equal), built in one step because a roster
    has a hundred thousand people and folding costs an event validation per fact.
    """
    at = at.astimezone(UTC)
    facts = person.facts
    enrollments = tuple(EnrollmentRecord.from_payload(e, at) for e in person.enrollments)
    times = dict.fromkeys((DOCUMENT, NAMES, PERSONAL_EMAIL, MOBILE, BIRTH_DATE, ROLES), at)
    times.update((enrollment_field(e.ficha), at) for e in enrollments)
    return PersonRecord(
        document_type=person.person.document_type,
        document_number=facts.document_number,
        first_names=facts.first_names,
        last_names=facts.last_names,
        personal_email=facts.personal_email,
        mobile_e164=facts.mobile_e164,
        birth_date=person.person.birth_date,
        roles=frozenset(person.roles),
        enrollments=enrollments,
        field_times=times,
        ever_instructor=Role.INSTRUCTOR in person.roles,
        instructor_fichas=frozenset(person.instructor_fichas),
    )


def absent_record(record: PersonRecord, scope: Scope, settings: PolicySettings, at: datetime) -> PersonRecord:
    """``record`` after the export said nothing of the person: in-scope active enrollments end
    (and, for a full export, the Instructor role goes)."""
    result = record
    for enrollment in record.enrollments:
        if enrollment.status in settings.active_statuses and in_scope(enrollment, scope):
            result = apply_event(result, _ended(result, enrollment, at))
    if scope.kind == "all" and Role.INSTRUCTOR in result.roles:
        remaining = sorted(result.roles - {Role.INSTRUCTOR})
        event = RolesChanged.model_validate(
            {"occurred_at": at, "data": {"person": _payload(result), "roles": remaining,
                                         "previous_roles": sorted(result.roles)}}
        )  # fmt: skip
        result = apply_event(result, event)
    return result


def in_scope(enrollment: EnrollmentRecord, scope: Scope) -> bool:
    if scope.kind == "all":
        return True
    code = enrollment.regional_code if scope.kind == "regional" else enrollment.centro_code
    return code == scope.code


def _payload(record: PersonRecord) -> dict[str, object]:
    return {
        "document_type": record.document_type.value,
        "document_number": record.document_number,
        "first_names": record.first_names,
        "last_names": record.last_names,
        "personal_email": record.personal_email,
        "mobile_phone": record.mobile_e164,
        "birth_date": record.birth_date,
    }


def _ended(record: PersonRecord, enrollment: EnrollmentRecord, at: datetime) -> Event:
    payload = {
        "ficha": enrollment.ficha,
        "program": {"code": enrollment.program_code, "version": "", "name": enrollment.program_name,
                    "level": enrollment.program_level},
        "centro": {"code": enrollment.centro_code, "name": enrollment.centro_name},
        "regional": {"code": enrollment.regional_code, "name": enrollment.regional_name},
        "modality": enrollment.modality.value,
        "status": ABSENT_STATUS.value,
        "start_date": enrollment.start_date,
        "end_date": enrollment.end_date,
    }  # fmt: skip
    return EnrollmentStatusChanged.model_validate(
        {"occurred_at": at, "data": {"person": _payload(record), "enrollment": payload}}
    )


def with_roster_facts(mine: PersonRecord | None, person: RosterPerson, at: datetime) -> PersonRecord:
    """misena's record with the roster's facts merged in (the newer wins, as for events).

    A fact the roster merely restates keeps the date misena has for it: an export repeating
    ``CANCELADO`` every night must not restart the grace period that began when the status
    really changed. A roster that restates everything leaves the record as it is.
    """
    if mine is None:
        return roster_record(person, at)
    same = {
        stated.ficha: known
        for stated in person.enrollments
        if (known := mine.enrollment(stated.ficha)) is not None and known.states(stated)
    }
    if len(same) == len(person.enrollments) and _same_person_facts(mine, person):
        return mine  # the usual case, told without building the roster's record
    from_roster = roster_record(person, at)
    if same:
        times = {**from_roster.field_times, **{enrollment_field(f): e.status_at for f, e in same.items()}}
        enrollments = tuple(same.get(e.ficha, e) for e in from_roster.enrollments)
        from_roster = from_roster.model_copy(update={"enrollments": enrollments, "field_times": times})
    return merge_records(mine, from_roster)


def _same_person_facts(mine: PersonRecord, person: RosterPerson) -> bool:
    """Whether the roster's person fields, roles and instructor fichas are misena's already."""
    facts = person.facts
    return (
        (mine.document_type, mine.document_number, mine.first_names, mine.last_names)
        == (person.person.document_type, facts.document_number, facts.first_names, facts.last_names)
        and (mine.personal_email, mine.mobile_e164, mine.birth_date)
        == (facts.personal_email, facts.mobile_e164, person.person.birth_date)
        and mine.roles == person.roles
        and mine.instructor_fichas == person.instructor_fichas
    )


def endings_undated(
    record: PersonRecord, mine: PersonRecord | None, settings: PolicySettings, at: datetime
) -> PersonRecord:
    """``record`` for a person who has no account, with each ending only this roster told
    (a withdrawal, a cancellation, a certification of a ficha misena never heard of) moved to
    :data:`UNDATED`.

    The export says how an enrollment stands, never since when: dated at the export, such an
    ending would open a whole grace period (a graduate's months) and so create an account —
    and email credentials — for someone who may have withdrawn years ago. No account is
    created only to be suspended: undated, the ending gives no grace, and the planner's own
    rule (no account is created suspended) decides, here and in the reconcile the apply
    queues, which reads this same record. An account that exists keeps the export's date: its
    grace period runs from the export, the latest the ending can have happened. Endings of
    fichas misena knew keep the export's date too (misena's record orders them by it).
    """
    exported = at.astimezone(UTC)
    told = {
        e.ficha
        for e in record.enrollments
        if e.status not in settings.active_statuses
        and e.status_at == exported
        and (mine is None or mine.enrollment(e.ficha) is None)
    }
    if not told:
        return record
    enrollments = tuple(e.model_copy(update={"status_at": UNDATED}) if e.ficha in told else e
                        for e in record.enrollments)  # fmt: skip
    times = {**record.field_times, **{enrollment_field(ficha): UNDATED for ficha in told}}
    return record.model_copy(update={"enrollments": enrollments, "field_times": times})
