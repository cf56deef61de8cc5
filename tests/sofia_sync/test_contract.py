"""The webhook contract: what is accepted, what is refused and where the error points."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from sofia_sync.contract import (
    EVENT_EXAMPLES,
    DocumentType,
    EnrollmentCreated,
    EnrollmentStatus,
    EnrollmentStatusChanged,
    Event,
    EventType,
    KnownEvent,
    Modality,
    PersonUpdated,
    Role,
    RolesChanged,
    UnknownEvent,
    parse_event,
    parse_person_key,
    person_key,
)


def example(event_type: str = "enrollment.created") -> dict[str, Any]:
    return copy.deepcopy(EVENT_EXAMPLES[event_type])


def known(payload: object) -> KnownEvent:
    event = parse_event(payload)
    assert not isinstance(event, UnknownEvent)
    return event


def error_locations(payload: object) -> list[tuple[int | str, ...]]:
    with pytest.raises(ValidationError) as caught:
        parse_event(payload)
    return [tuple(error["loc"]) for error in caught.value.errors()]


def test_the_contract_example_parses() -> None:
    event = parse_event(example())
    assert isinstance(event, EnrollmentCreated)
    assert event.occurred_at == datetime.fromisoformat("2026-01-20T08:15:00-05:00")
    person = event.data.person
    assert person.document_type is DocumentType.TI
    assert person.document_number == "1.098.765.432"  # kept as sent; normalised on demand
    assert person.normalized_number == "1098765432"
    assert person.key == "TI:1098765432"
    assert person.first_names == "MARÍA JOSÉ"
    assert person.birth_date == date(2009, 3, 14)
    enrollment = event.data.enrollment
    assert enrollment.ficha == "2758392"
    assert enrollment.program.level == "TECNOLOGO"
    assert enrollment.regional.name == "Distrito Capital"
    assert enrollment.modality is Modality.PRESENCIAL
    assert enrollment.status is EnrollmentStatus.EN_FORMACION
    assert enrollment.end_date == date(2028, 1, 19)


@pytest.mark.parametrize(
    ("event_type", "model"),
    [
        ("enrollment.created", EnrollmentCreated),
        ("enrollment.status_changed", EnrollmentStatusChanged),
        ("person.roles_changed", RolesChanged),
        ("person.updated", PersonUpdated),
    ],
)
def test_every_example_parses_to_its_model(event_type: str, model: type[Any]) -> None:
    event = parse_event(example(event_type))
    assert isinstance(event, model)
    assert event.type == event_type


def test_examples_cover_every_known_type() -> None:
    assert set(EVENT_EXAMPLES) == {t.value for t in EventType}


def test_the_discriminated_union_reads_the_examples_too() -> None:
    adapter: TypeAdapter[Event] = TypeAdapter(Event)
    for payload in EVENT_EXAMPLES.values():
        assert adapter.validate_python(payload) == parse_event(payload)
    assert "discriminator" in str(adapter.json_schema())


def test_status_changed_carries_the_previous_status() -> None:
    event = parse_event(example("enrollment.status_changed"))
    assert isinstance(event, EnrollmentStatusChanged)
    assert event.data.previous_status is EnrollmentStatus.EN_FORMACION
    assert event.data.enrollment.status is EnrollmentStatus.RETIRO_VOLUNTARIO
    payload = example("enrollment.status_changed")
    del payload["data"]["previous_status"]
    event = parse_event(payload)
    assert isinstance(event, EnrollmentStatusChanged)
    assert event.data.previous_status is None


def test_roles_other_than_ours_are_accepted_and_ignored() -> None:
    event = parse_event(example("person.roles_changed"))
    assert isinstance(event, RolesChanged)
    assert event.data.roles == ["INSTRUCTOR", "ADMINISTRATIVO"]
    assert event.data.known_roles() == {Role.INSTRUCTOR}
    assert event.data.previous_known_roles() == frozenset()


def test_roles_are_read_case_insensitively_and_may_be_empty() -> None:
    payload = example("person.roles_changed")
    payload["data"]["roles"] = [" aprendiz ", "Instructor"]
    payload["data"].pop("previous_roles")
    event = parse_event(payload)
    assert isinstance(event, RolesChanged)
    assert event.data.known_roles() == {Role.APRENDIZ, Role.INSTRUCTOR}
    assert event.data.previous_roles == []
    payload["data"]["roles"] = []
    event = parse_event(payload)
    assert isinstance(event, RolesChanged)
    assert event.data.known_roles() == frozenset()


def test_person_updated_with_previous_document() -> None:
    event = parse_event(example("person.updated"))
    assert isinstance(event, PersonUpdated)
    assert event.data.person.key == "CC:1098765432"
    assert event.data.previous_document is not None
    assert event.data.previous_document.key == "TI:1098765432"


def test_unknown_types_are_kept_for_storage() -> None:
    payload = {
        "type": "enrollment.transferred",
        "occurred_at": "2026-05-01T10:00:00-05:00",
        "data": {"anything": [1, 2]},
    }
    event = parse_event(payload)
    assert isinstance(event, UnknownEvent)
    assert event.type == "enrollment.transferred"
    assert event.data == {"anything": [1, 2]}


def test_unknown_events_still_need_an_envelope() -> None:
    assert ("occurred_at",) in error_locations({"type": "x.y", "data": {}})
    assert ("occurred_at",) in error_locations(
        {"type": "x.y", "occurred_at": "2026-05-01T10:00:00", "data": {}}
    )
    assert ("data",) in error_locations({"type": "x.y", "occurred_at": "2026-05-01T10:00:00Z"})


@pytest.mark.parametrize("payload", [None, [], "enrollment.created", 42])
def test_a_body_that_is_not_an_object(payload: object) -> None:
    assert error_locations(payload) == [()]


def test_missing_type() -> None:
    payload = example()
    del payload["type"]
    assert ("type",) in error_locations(payload)


def test_type_is_stripped_before_dispatch() -> None:
    payload = example()
    payload["type"] = " enrollment.created "
    assert isinstance(parse_event(payload), EnrollmentCreated)


def test_occurred_at_needs_an_offset() -> None:
    payload = example()
    payload["occurred_at"] = "2026-01-20T08:15:00"
    assert error_locations(payload) == [("occurred_at",)]


def test_occurred_at_in_utc_with_z() -> None:
    payload = example()
    payload["occurred_at"] = "2026-01-20T13:15:00Z"
    event = parse_event(payload)
    assert event.occurred_at == datetime.fromisoformat("2026-01-20T08:15:00-05:00")
    assert event.occurred_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("document_number", "12AB"),
        ("document_number", ""),
        ("document_number", "   "),
        ("document_number", "12"),
        ("document_number", 1098765432),
        ("document_type", "NIT"),
        ("first_names", " "),
        ("first_names", "123"),
        ("last_names", "<>"),
        ("birth_date", "14/03/2009"),
    ],
)
def test_person_errors_name_the_field(field: str, value: object) -> None:
    payload = example()
    payload["data"]["person"][field] = value
    assert error_locations(payload) == [("data", "person", field)]


@pytest.mark.parametrize("field", ["document_type", "document_number", "first_names", "last_names"])
def test_required_person_fields(field: str) -> None:
    payload = example()
    del payload["data"]["person"][field]
    assert error_locations(payload) == [("data", "person", field)]


def test_errors_never_echo_the_document_number() -> None:
    payload = example()
    payload["data"]["person"]["document_number"] = "1.098.765.43X"
    with pytest.raises(ValidationError) as caught:
        parse_event(payload)
    assert "765" not in str(caught.value)
    assert "765" not in repr(caught.value)


def test_ppt_numbers_with_letters_are_valid() -> None:
    payload = example()
    payload["data"]["person"].update(document_type="PPT", document_number="ab-12 345")
    event = known(payload)
    assert event.data.person.key == "PPT:ab12345"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("enrollment", "ficha"), " "),
        (("enrollment", "status"), "SUSPENDIDO"),
        (("enrollment", "modality"), "HIBRIDA"),
        (("enrollment", "start_date"), "mañana"),
        (("enrollment", "regional", "name"), ""),
        (("enrollment", "centro", "code"), None),
        (("enrollment", "program", "name"), "  "),
    ],
)
def test_enrollment_errors_name_the_field(path: tuple[str, ...], value: object) -> None:
    payload = example()
    target = payload["data"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert error_locations(payload) == [("data", *path)]


def test_missing_enrollment() -> None:
    payload = example()
    del payload["data"]["enrollment"]
    assert error_locations(payload) == [("data", "enrollment")]


@pytest.mark.parametrize(
    ("email", "phone"),
    [("no-es-un-correo", "llamar a la mamá"), ("", ""), (None, None), ("a@b", "123")],
)
def test_unusable_contact_data_does_not_reject_the_event(email: str | None, phone: str | None) -> None:
    payload = example()
    payload["data"]["person"].update(personal_email=email, mobile_phone=phone)
    event = known(payload)
    assert event.data.person.personal_email == (email.strip() if email is not None else None)
    assert event.data.person.mobile_phone == phone


def test_optional_person_fields_may_be_absent() -> None:
    payload = example()
    for field in ("personal_email", "mobile_phone", "birth_date"):
        del payload["data"]["person"][field]
    person = known(payload).data.person
    assert (person.personal_email, person.mobile_phone, person.birth_date) == (None, None, None)


def test_strings_are_stripped() -> None:
    payload = example()
    payload["data"]["person"]["first_names"] = "  MARÍA JOSÉ \t"
    payload["data"]["enrollment"]["ficha"] = " 2758392 "
    event = parse_event(payload)
    assert isinstance(event, EnrollmentCreated)
    assert event.data.person.first_names == "MARÍA JOSÉ"
    assert event.data.enrollment.ficha == "2758392"


def test_unknown_fields_are_ignored_everywhere() -> None:
    payload = example()
    payload["schema_version"] = 2
    payload["data"]["source"] = "sofia"
    payload["data"]["person"]["gender"] = "F"
    payload["data"]["enrollment"]["program"]["duration_months"] = 24
    event = parse_event(payload)
    assert event == parse_event(example())


def test_events_are_immutable() -> None:
    event = known(example())
    with pytest.raises(ValidationError):
        event.data.person.first_names = "OTRA"  # type: ignore[misc]


def test_person_key_round_trip() -> None:
    assert person_key(DocumentType.CC, "1023456789") == "CC:1023456789"
    assert person_key("PPT", "ab12345") == "PPT:ab12345"
    assert parse_person_key("PPT:ab12345") == (DocumentType.PPT, "ab12345")
    for bad in ("CC", "CC:", "XX:123"):
        with pytest.raises(ValueError):  # noqa: PT011 - the messages vary by cause
            parse_person_key(bad)
