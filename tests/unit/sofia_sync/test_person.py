"""Folding events into the person record: per-field ordering, roles, renames, normalisation."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sofia_sync.contract import (
    EVENT_EXAMPLES,
    DocumentType,
    EnrollmentStatus,
    Event,
    Role,
    UnknownEvent,
    parse_event,
)
from sofia_sync.person import EnrollmentRecord, PersonRecord, apply_event

from .strategies import events


def event(
    event_type: str = "enrollment.created",
    at: str | None = None,
    person: dict[str, Any] | None = None,
    **data: Any,
) -> Event:
    payload = copy.deepcopy(EVENT_EXAMPLES[event_type])
    if at is not None:
        payload["occurred_at"] = at
    payload["data"]["person"].update(person or {})
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(payload["data"].get(key), dict):
            payload["data"][key].update(value)
        else:
            payload["data"][key] = value
    parsed = parse_event(payload)
    assert not isinstance(parsed, UnknownEvent)
    return parsed


def fold(*items: Event, record: PersonRecord | None = None) -> PersonRecord:
    for item in items:
        record = apply_event(record, item)
    assert record is not None
    return record


T0 = "2026-01-20T08:15:00-05:00"
T1 = "2026-02-01T08:00:00-05:00"
T2 = "2026-03-01T08:00:00-05:00"


def test_first_event_creates_the_record() -> None:
    record = apply_event(None, event())
    assert record.key == "TI:1098765432"
    assert record.document_type is DocumentType.TI
    assert record.document_number == "1098765432"
    assert (record.first_names, record.last_names) == ("María José", "Peña de la Torre")
    assert record.personal_email == "majo.pena@example.com"
    assert record.mobile_e164 == "+573001234567"
    assert record.birth_date == date(2009, 3, 14)
    assert record.roles == {Role.APRENDIZ}
    assert record.previous_keys == frozenset()
    (enrollment,) = record.enrollments
    assert enrollment == EnrollmentRecord(
        ficha="2758392",
        program_code="228118",
        program_name="Análisis y Desarrollo de Software",
        program_level="TECNOLOGO",
        centro_code="9229",
        centro_name="Centro de Servicios Financieros",
        regional_code="11",
        regional_name="Distrito Capital",
        modality="PRESENCIAL",
        status=EnrollmentStatus.EN_FORMACION,
        start_date=date(2026, 1, 20),
        end_date=date(2028, 1, 19),
        status_at=datetime(2026, 1, 20, 13, 15, tzinfo=UTC),
    )
    at = datetime(2026, 1, 20, 13, 15, tzinfo=UTC)
    assert record.field_times == {
        "document": at,
        "names": at,
        "personal_email": at,
        "mobile": at,
        "birth_date": at,
        "enrollment:2758392": at,
    }


def test_times_are_stored_in_utc() -> None:
    record = apply_event(None, event(at="2026-01-20T13:15:00+00:00"))
    assert record.field_times["names"].utcoffset() == timedelta(0)
    assert record == apply_event(None, event(at=T0))


def test_a_duplicate_changes_nothing() -> None:
    once = apply_event(None, event())
    assert apply_event(once, event()) == once


def test_newer_names_overwrite_older_do_not() -> None:
    record = apply_event(None, event(at=T1))
    older = apply_event(record, event(at=T0, person={"first_names": "MARIA"}))
    assert older.first_names == "María José"
    newer = apply_event(record, event(at=T2, person={"first_names": "MARIA"}))
    assert newer.first_names == "Maria"
    assert newer.field_times["names"] == datetime.fromisoformat(T2)


def test_each_field_has_its_own_time() -> None:
    """A newer event sets every person field it carries; an older one sets none of them."""
    record = fold(
        event(at=T1, person={"personal_email": "nuevo@example.com"}),
        event(at=T0, person={"personal_email": "viejo@example.com", "mobile_phone": None}),
    )
    assert record.personal_email == "nuevo@example.com"
    assert record.mobile_e164 == "+573001234567"


def test_a_newer_null_clears_a_field() -> None:
    record = fold(event(at=T0), event(at=T1, person={"personal_email": None}))
    assert record.personal_email is None


def test_unusable_contact_data_is_stored_as_none() -> None:
    record = apply_event(
        None,
        event(person={"personal_email": "no tiene", "mobile_phone": "601 234 5678"}),
    )
    assert record.personal_email is None
    assert record.mobile_e164 is None


def test_email_is_normalised() -> None:
    record = apply_event(None, event(person={"personal_email": " Majo.Pena@EXAMPLE.com "}))
    assert record.personal_email == "Majo.Pena@example.com"


def test_status_changes_are_ordered_per_ficha() -> None:
    created = event(at=T0)
    withdrawn = event("enrollment.status_changed", at=T2, enrollment={"status": "RETIRO_VOLUNTARIO"})
    conditioned = event("enrollment.status_changed", at=T1, enrollment={"status": "CONDICIONADO"})
    for order in ([created, withdrawn, conditioned], [withdrawn, conditioned, created]):
        record = fold(*order)
        (enrollment,) = record.enrollments
        assert enrollment.status is EnrollmentStatus.RETIRO_VOLUNTARIO
        assert enrollment.status_at == datetime.fromisoformat(T2)


def test_several_fichas_are_kept_sorted() -> None:
    record = fold(
        event(at=T0, enrollment={"ficha": "2901111"}),
        event(at=T1, enrollment={"ficha": "2758392"}),
        event(at=T0, enrollment={"ficha": "1000000"}),
    )
    assert [e.ficha for e in record.enrollments] == ["1000000", "2758392", "2901111"]
    assert "enrollment:2901111" in record.field_times


def test_roles_changed_replaces_the_set() -> None:
    record = fold(
        event("person.roles_changed", at=T0, roles=["INSTRUCTOR", "ADMINISTRATIVO"]),
        event("person.roles_changed", at=T1, roles=["ADMINISTRATIVO"]),
    )
    assert record.roles == frozenset()
    assert record.field_times["roles"] == datetime.fromisoformat(T1)


def test_older_roles_changed_is_ignored() -> None:
    record = fold(
        event("person.roles_changed", at=T1, roles=["INSTRUCTOR"]),
        event("person.roles_changed", at=T0, roles=[]),
    )
    assert record.roles == {Role.INSTRUCTOR}


def test_enrollment_newer_than_the_roles_adds_aprendiz() -> None:
    roles = event("person.roles_changed", at=T0, roles=["INSTRUCTOR"])
    enrolled = event(at=T1)
    for order in ([roles, enrolled], [enrolled, roles]):
        assert fold(*order).roles == {Role.INSTRUCTOR, Role.APRENDIZ}


def test_roles_newer_than_the_enrollment_win() -> None:
    enrolled = event(at=T0)
    roles = event("person.roles_changed", at=T1, roles=["INSTRUCTOR"])
    for order in ([roles, enrolled], [enrolled, roles]):
        record = fold(*order)
        assert record.roles == {Role.INSTRUCTOR}
        assert len(record.enrollments) == 1  # the enrollment itself is kept


def test_same_instant_roles_are_united() -> None:
    first = event("person.roles_changed", at=T0, roles=["INSTRUCTOR"])
    second = event("person.roles_changed", at=T0, roles=["APRENDIZ"])
    assert fold(first, second).roles == fold(second, first).roles == set(Role)


def test_same_instant_different_values_settle_the_same_way_in_any_order() -> None:
    one = event(at=T0, person={"first_names": "ANA"}, enrollment={"status": "CANCELADO"})
    two = event(at=T0, person={"first_names": "LUISA"}, enrollment={"status": "APLAZADO"})
    assert fold(one, two) == fold(two, one)
    assert fold(one, two, one) == fold(two, one, two)


def test_rename_moves_the_record_to_the_new_document() -> None:
    record = apply_event(None, event(at=T0))
    renamed = apply_event(record, event("person.updated", at=T2))
    assert renamed.key == "CC:1098765432"
    assert renamed.document_type is DocumentType.CC
    assert renamed.previous_keys == {"TI:1098765432"}
    assert renamed.enrollments == record.enrollments
    assert renamed.field_times["document"] == datetime.fromisoformat(T2)


def test_a_late_event_under_the_old_document_does_not_undo_a_rename() -> None:
    renamed = fold(event(at=T0), event("person.updated", at=T2))
    late = apply_event(renamed, event("enrollment.status_changed", at=T1, enrollment={"status": "APLAZADO"}))
    assert late.key == "CC:1098765432"
    assert late.enrollments[0].status is EnrollmentStatus.APLAZADO
    assert late.previous_keys == {"TI:1098765432"}


def test_rename_arriving_first() -> None:
    """The rename is the first thing we hear: the record starts under the new document."""
    record = apply_event(None, event("person.updated", at=T2))
    assert record.key == "CC:1098765432"
    assert record.previous_keys == {"TI:1098765432"}
    assert record.roles == frozenset()
    assert record.enrollments == ()


def test_person_record_refuses_a_ficha_twice() -> None:
    record = apply_event(None, event())
    with pytest.raises(ValidationError, match="ficha appears twice"):
        PersonRecord.model_validate({**dict(record), "enrollments": record.enrollments * 2})


def test_person_record_sorts_enrollments() -> None:
    record = fold(event(enrollment={"ficha": "2"}), event(enrollment={"ficha": "1"}))
    reordered = PersonRecord.model_validate(
        {**dict(record), "enrollments": tuple(reversed(record.enrollments))}
    )
    assert [e.ficha for e in reordered.enrollments] == ["1", "2"]
    assert record.enrollment("2") is not None
    assert record.enrollment("3") is None


def test_person_record_survives_json() -> None:
    record = fold(event(at=T0), event("person.roles_changed", at=T1, roles=["INSTRUCTOR"]))
    assert PersonRecord.model_validate_json(record.model_dump_json()) == record


@given(st.lists(events, min_size=1, max_size=8), st.data())
@settings(max_examples=300, deadline=None)
def test_any_order_with_duplicates_gives_the_same_record(items: list[Event], data: st.DataObject) -> None:
    duplicates = data.draw(st.lists(st.sampled_from(items), max_size=4), label="duplicates")
    shuffled = data.draw(st.permutations([*items, *duplicates]), label="arrival order")
    assert fold(*shuffled) == fold(*items)


@given(st.lists(events, min_size=1, max_size=6))
@settings(max_examples=100, deadline=None)
def test_applying_an_event_twice_in_a_row_is_a_no_op(items: list[Event]) -> None:
    record = fold(*items)
    assert apply_event(record, items[-1]) == record
