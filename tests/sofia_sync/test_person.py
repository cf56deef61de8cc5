"""Folding events into the person record: per-field ordering, roles, renames, normalisation."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sofia_sync.contract import (
    EVENT_EXAMPLES,
    DocumentType,
    EnrollmentStatus,
    Event,
    Modality,
    Role,
    RolesChanged,
    parse_event,
)
from sofia_sync.person import EnrollmentRecord, PersonRecord, apply_event, merge_records
from tests.support.bulk_plan_factories import enrollment_payload
from tests.support.event_strategies import events, full_events
from tests.support.record_factories import event, fold

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


# -- former instructors and their fichas -------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "previous", "ever"),
    [
        (["INSTRUCTOR"], [], True),
        ([], ["INSTRUCTOR"], True),
        (["ADMINISTRATIVO"], ["instructor"], True),
        (["APRENDIZ"], ["ADMINISTRATIVO"], False),
        ([], [], False),
    ],
)
def test_ever_instructor_from_current_or_previous_roles(
    roles: list[str], previous: list[str], ever: bool
) -> None:
    record = apply_event(None, event("person.roles_changed", roles=roles, previous_roles=previous))
    assert record.ever_instructor is ever


def test_ever_instructor_is_never_forgotten() -> None:
    record = fold(
        event("person.roles_changed", at=T0, roles=[], previous_roles=["INSTRUCTOR"]),
        event("person.roles_changed", at=T2, roles=["APRENDIZ"], previous_roles=[]),
        event(at=T2),
    )
    assert record.ever_instructor
    assert record.roles == {Role.APRENDIZ}


def test_an_older_roles_event_still_records_the_instructor_past() -> None:
    """An older snapshot does not set the roles, but it is still a fact about the past."""
    record = fold(
        event("person.roles_changed", at=T2, roles=["APRENDIZ"], previous_roles=[]),
        event("person.roles_changed", at=T0, roles=["INSTRUCTOR"], previous_roles=[]),
    )
    assert record.roles == {Role.APRENDIZ}
    assert record.ever_instructor


def test_enrollment_events_do_not_make_an_instructor() -> None:
    assert not fold(event(at=T0), event("person.updated", at=T1)).ever_instructor


def test_the_newest_roles_snapshot_sets_the_instructor_fichas() -> None:
    older = event("person.roles_changed", at=T0, roles=["INSTRUCTOR"], fichas=["2758392", "2901111"])
    newer = event("person.roles_changed", at=T1, roles=["INSTRUCTOR"], fichas=["3100200"])
    for order in ([older, newer], [newer, older]):
        assert fold(*order).instructor_fichas == {"3100200"}


def test_same_instant_instructor_fichas_are_united() -> None:
    one = event("person.roles_changed", at=T1, roles=["INSTRUCTOR"], fichas=["2758392"])
    two = event("person.roles_changed", at=T1, roles=["INSTRUCTOR"], fichas=["2901111", "2758392"])
    assert fold(one, two).instructor_fichas == fold(two, one).instructor_fichas == {"2758392", "2901111"}


def test_a_newer_snapshot_without_fichas_clears_them() -> None:
    record = fold(
        event("person.roles_changed", at=T0, roles=["INSTRUCTOR"], fichas=["2758392"]),
        event("person.roles_changed", at=T1, roles=[], previous_roles=["INSTRUCTOR"]),
    )
    assert record.instructor_fichas == frozenset()


def test_enrollment_events_leave_the_instructor_fichas_alone() -> None:
    roles = event("person.roles_changed", at=T0, roles=["INSTRUCTOR"], fichas=["2901111"])
    for order in ([roles, event(at=T1)], [event(at=T1), roles]):
        record = fold(*order)
        assert record.instructor_fichas == {"2901111"}
        assert record.roles == {Role.INSTRUCTOR, Role.APRENDIZ}


def test_instructor_fichas_must_not_be_blank() -> None:
    payload = copy.deepcopy(EVENT_EXAMPLES["person.roles_changed"])
    payload["data"]["fichas"] = ["2758392", "  "]
    with pytest.raises(ValidationError):
        parse_event(payload)
    payload["data"]["fichas"] = [" 2758392 "]
    parsed = parse_event(payload)
    assert isinstance(parsed, RolesChanged)
    assert parsed.data.fichas == ["2758392"]


def test_fichas_are_optional() -> None:
    parsed = parse_event(EVENT_EXAMPLES["person.roles_changed"])
    assert isinstance(parsed, RolesChanged)
    assert parsed.data.fichas == []


@given(st.lists(full_events, min_size=1, max_size=8), st.data())
@settings(max_examples=200, deadline=None)
def test_any_order_with_duplicates_gives_the_same_record_with_instructor_data(
    items: list[Event], data: st.DataObject
) -> None:
    duplicates = data.draw(st.lists(st.sampled_from(items), max_size=3), label="duplicates")
    shuffled = data.draw(st.permutations([*items, *duplicates]), label="arrival order")
    assert fold(*shuffled) == fold(*items)


# -- merging two records of one person --------------------------------------------------------


def test_merge_takes_each_field_from_the_newer_record() -> None:
    """Events under the CC arrived before the rename told us it was the TI's person."""
    as_ti = fold(event(at=T0, person={"personal_email": "viejo@example.com"}))
    cc = {"document_type": "CC", "document_number": "1098765432"}
    as_cc = fold(
        event(
            "enrollment.status_changed",
            at=T2,
            person={**cc, "personal_email": None},
            enrollment={"ficha": "2901111", "status": "EN_FORMACION"},
        ),
        event(
            "person.roles_changed",
            at=T1,
            person={**cc, "first_names": "MARÍA JOSÉ", "last_names": "PEÑA DE LA TORRE"},
            roles=["INSTRUCTOR"],
            fichas=["3100200"],
        ),
    )
    merged = merge_records(as_ti, as_cc)
    assert merged.key == "CC:1098765432"
    assert merged.previous_keys == {"TI:1098765432"}
    assert merged.personal_email is None  # the newer null wins
    assert [e.ficha for e in merged.enrollments] == ["2758392", "2901111"]
    assert merged.enrollment("2758392") == as_ti.enrollment("2758392")
    assert merged.roles == {Role.INSTRUCTOR, Role.APRENDIZ}  # enrolled (T2) after the roles (T1)
    assert merged.instructor_fichas == {"3100200"}
    assert merged.ever_instructor
    assert merged.field_times["roles"] == datetime.fromisoformat(T1)
    assert merged.model_dump() == merge_records(as_cc, as_ti).model_dump()


def test_merging_a_record_with_itself_changes_nothing() -> None:
    record = fold(event(at=T0), event("person.roles_changed", at=T1, roles=["INSTRUCTOR"], fichas=["1"]))
    assert merge_records(record, record) == record


@st.composite
def split_events(draw: st.DrawFn) -> tuple[list[Event], list[Event], list[Event]]:
    """Events about one person, and two non-empty subsets of them that together hold them all
    (an event may be in both: Sofia may send it before and after the document change)."""
    items = draw(st.lists(full_events, min_size=2, max_size=8), label="events")
    sides = draw(
        st.lists(st.sampled_from(["kept", "other", "both"]), min_size=len(items), max_size=len(items)).filter(
            lambda s: "both" in s or {"kept", "other"} <= set(s)
        ),
        label="sides",
    )
    kept = [item for item, side in zip(items, sides, strict=True) if side != "other"]
    other = [item for item, side in zip(items, sides, strict=True) if side != "kept"]
    return items, kept, other


@given(split_events())
@settings(max_examples=200, deadline=None)
def test_merging_folded_halves_equals_folding_everything(
    split: tuple[list[Event], list[Event], list[Event]],
) -> None:
    items, kept_events, other_events = split
    kept, other = fold(*kept_events), fold(*other_events)
    whole = fold(*items)
    assert merge_records(kept, other).model_dump() == whole.model_dump()
    assert merge_records(other, kept).model_dump() == whole.model_dump()


@given(st.lists(full_events, min_size=1, max_size=6), st.lists(full_events, min_size=1, max_size=6))
@settings(max_examples=200, deadline=None)
def test_merge_is_commutative(left_events: list[Event], right_events: list[Event]) -> None:
    left, right = fold(*left_events), fold(*right_events)
    merged = merge_records(left, right)
    assert merged.model_dump() == merge_records(right, left).model_dump()
    # The document, like every field, comes from the newer side.
    newer = max(
        (left, right), key=lambda r: (r.field_times["document"], r.document_type.value, r.document_number)
    )
    assert merged.key == newer.key
    assert merge_records(merged, left) == merged


STORED_ENROLLMENT_FIELDS = [name for name in EnrollmentRecord.model_fields if name != "status_at"]


@pytest.mark.parametrize("name", STORED_ENROLLMENT_FIELDS)
def test_an_enrollment_record_differing_in_any_one_stored_field_does_not_state_the_payload(name: str) -> None:
    """``states`` decides that the roster merely restates misena's enrollment (so its date
    is kept): every field the record stores from the payload takes part, none but the date."""
    payload = enrollment_payload()
    record = EnrollmentRecord.from_payload(payload, datetime(2026, 1, 20, tzinfo=UTC))
    assert record.states(payload)
    assert record.model_copy(update={"status_at": datetime(2020, 1, 1, tzinfo=UTC)}).states(payload)
    value = getattr(record, name)
    other: object = {
        EnrollmentStatus: EnrollmentStatus.RETIRO_VOLUNTARIO,
        Modality: Modality.VIRTUAL,
        date: date(2001, 2, 3),
    }.get(type(value), f"{value}-otro")
    assert not record.model_copy(update={name: other}).states(payload)
