"""Person → desired account: who gets one, which org unit, what ties it to Sofia Plus."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sofia_sync.contract import DocumentType, EnrollmentStatus, Role
from sofia_sync.person import EnrollmentRecord
from sofia_sync.policy import (
    DEFAULT_ACTIVE_STATUSES,
    SOFIA_SCHEMA_DEFINITION,
    DesiredAccount,
    PolicySettings,
    desired_account,
    external_id,
    org_unit_path,
    reference_enrollment,
    schema_definition,
)
from workspace.emulator.body_validation import validate_body

from .factories import enrollment, person

SETTINGS = PolicySettings()
ANTIOQUIA = ("5", "ANTIOQUIA")
MEDELLIN = ("9206", "CENTRO DE TECNOLOGÍA DE LA MANUFACTURA AVANZADA")


def account(*enrollments: EnrollmentRecord, **fields: object) -> DesiredAccount:
    desired = desired_account(person(*enrollments, **fields), SETTINGS)  # type: ignore[arg-type]
    assert desired is not None
    return desired


def test_apprentice_account() -> None:
    desired = account(enrollment())
    assert desired == DesiredAccount(
        primary_email="1098765432@misena.edu.co",
        given_name="María José",
        family_name="Peña de la Torre",
        org_unit_path="/Aprendices/Distrito Capital",
        recovery_email="majo.pena@example.com",
        recovery_phone="+573001234567",
        external_id="TI-1098765432",
        custom_schema_values={
            "documentType": "TI",
            "documentNumber": "1098765432",
            "fichas": [{"value": "2758392"}],
            "centro": "9229",
            "regional": "11",
        },
        role=Role.APRENDIZ,
        document_type=DocumentType.TI,
        document_number="1098765432",
    )


def test_instructor_without_enrollment_gets_the_default_regional() -> None:
    desired = account(roles=frozenset({Role.INSTRUCTOR}), document_type=DocumentType.CC)
    assert desired.role is Role.INSTRUCTOR
    assert desired.org_unit_path == "/Instructores/Sin Regional"
    assert desired.external_id == "CC-1098765432"
    assert desired.custom_schema_values == {
        "documentType": "CC",
        "documentNumber": "1098765432",
        "fichas": [],
    }


def test_instructor_wins_the_org_unit() -> None:
    desired = account(enrollment(regional=ANTIOQUIA), roles=frozenset({Role.INSTRUCTOR, Role.APRENDIZ}))
    assert desired.role is Role.INSTRUCTOR
    assert desired.org_unit_path == "/Instructores/Antioquia"
    assert desired.custom_schema_values["fichas"] == [{"value": "2758392"}]


def test_enrollment_alone_warrants_an_account_whatever_the_roles_say() -> None:
    """Roles newer than the enrollment may drop APRENDIZ; the enrollment still counts."""
    desired = account(enrollment(), roles=frozenset())
    assert desired.role is Role.APRENDIZ
    assert desired.org_unit_path == "/Aprendices/Distrito Capital"


@pytest.mark.parametrize("roles", [frozenset(), frozenset({Role.APRENDIZ})])
def test_no_account_without_instructor_role_or_enrollment(roles: frozenset[Role]) -> None:
    assert desired_account(person(roles=roles), SETTINGS) is None


def test_inactive_enrollment_still_warrants_the_account() -> None:
    desired = account(enrollment(status=EnrollmentStatus.CANCELADO))
    assert desired.org_unit_path == "/Aprendices/Distrito Capital"
    assert desired.custom_schema_values["fichas"] == []


def test_the_most_recent_active_enrollment_places_the_apprentice() -> None:
    desired = account(
        enrollment("1", start=date(2024, 1, 1), regional=ANTIOQUIA),
        enrollment("2", start=date(2026, 1, 1), status=EnrollmentStatus.RETIRO_VOLUNTARIO),
        enrollment("3", start=date(2025, 1, 1), regional=("76", "VALLE"), centro=MEDELLIN),
    )
    assert desired.org_unit_path == "/Aprendices/Valle"
    assert desired.custom_schema_values["regional"] == "76"
    assert desired.custom_schema_values["centro"] == "9206"
    assert desired.custom_schema_values["fichas"] == [{"value": "1"}, {"value": "3"}]


def test_without_active_enrollment_the_most_recent_one_places() -> None:
    desired = account(
        enrollment("1", start=date(2024, 1, 1), status=EnrollmentStatus.CERTIFICADO),
        enrollment("2", start=date(2025, 1, 1), status=EnrollmentStatus.CANCELADO, regional=ANTIOQUIA),
    )
    assert desired.org_unit_path == "/Aprendices/Antioquia"


def test_same_start_date_the_greater_ficha_places() -> None:
    first = enrollment("2758392", regional=ANTIOQUIA)
    second = enrollment("2758400")
    assert reference_enrollment((first, second), DEFAULT_ACTIVE_STATUSES) == second
    assert reference_enrollment((), DEFAULT_ACTIVE_STATUSES) is None


def test_active_statuses_are_configurable() -> None:
    settings_ = PolicySettings(active_statuses=frozenset({EnrollmentStatus.EN_FORMACION}))
    desired = desired_account(
        person(
            enrollment("1", status=EnrollmentStatus.APLAZADO),
            enrollment("2", status=EnrollmentStatus.EN_FORMACION),
        ),
        settings_,
    )
    assert desired is not None
    assert desired.custom_schema_values["fichas"] == [{"value": "2"}]


def test_templates_may_use_centro_and_codes() -> None:
    settings_ = PolicySettings(
        domain="sena.example.org",
        apprentice_org_unit="/Aprendices/{regional_code} {regional}/{centro}",
        instructor_org_unit="/Instructores/{centro_code}",
        custom_schema="Sofia",
        external_id_type="custom",
    )
    desired = desired_account(person(enrollment()), settings_)
    assert desired is not None
    assert desired.primary_email == "1098765432@sena.example.org"
    assert desired.org_unit_path == "/Aprendices/11 Distrito Capital/Centro de Servicios Financieros"
    assert (desired.custom_schema, desired.external_id_type) == ("Sofia", "custom")
    instructor = desired_account(person(roles=frozenset({Role.INSTRUCTOR})), settings_)
    assert instructor is not None
    assert instructor.org_unit_path == "/Instructores"  # no centro known: the segment goes


@pytest.mark.parametrize(
    ("regional", "expected"),
    [
        (("11", "DISTRITO CAPITAL"), "/Aprendices/Distrito Capital"),
        (("88", "SAN ANDRÉS Y PROVIDENCIA"), "/Aprendices/San Andrés y Providencia"),
        (("5", "ANTIOQUIA/MEDELLÍN"), "/Aprendices/Antioquia Medellín"),
        (("99", "123"), "/Aprendices/Sin Regional"),
    ],
)
def test_regional_names_become_safe_org_unit_names(regional: tuple[str, str], expected: str) -> None:
    assert account(enrollment(regional=regional)).org_unit_path == expected


def test_org_unit_path_drops_empty_segments() -> None:
    assert org_unit_path("/A/{centro}/{regional}/", None, "Sin Regional") == "/A/Sin Regional"


@pytest.mark.parametrize("template", ["/Aprendices/{region}", "Aprendices/{regional}", "/Aprendices/{0}"])
def test_settings_refuse_bad_templates(template: str) -> None:
    with pytest.raises(ValidationError):
        PolicySettings(apprentice_org_unit=template)


def test_settings_are_frozen() -> None:
    with pytest.raises(ValidationError):
        SETTINGS.domain = "otro.edu.co"  # type: ignore[misc]


def test_contact_data_is_optional() -> None:
    desired = account(enrollment(), personal_email=None, mobile_e164=None)
    assert (desired.recovery_email, desired.recovery_phone) == (None, None)


def test_former_documents_come_from_previous_keys() -> None:
    desired = account(enrollment(), document_type=DocumentType.CC, previous_keys=frozenset({"TI:1098765432"}))
    assert desired.former_documents == {(DocumentType.TI, "1098765432")}
    assert desired.external_id == "CC-1098765432"


def test_external_id_format() -> None:
    assert external_id(DocumentType.PPT, "ab12345") == "PPT-ab12345"
    assert external_id("CC", "1023456789") == "CC-1023456789"


def test_schema_definition_is_a_valid_directory_schema() -> None:
    validate_body("admin.directory_v1", "Schema", SOFIA_SCHEMA_DEFINITION)
    fields = {f["fieldName"]: f for f in SOFIA_SCHEMA_DEFINITION["fields"]}
    assert set(fields) == {"documentType", "documentNumber", "fichas", "centro", "regional"}
    assert all(f["fieldType"] == "STRING" for f in fields.values())
    assert fields["documentNumber"]["indexed"] is True
    assert fields["fichas"]["multiValued"] is True
    assert schema_definition("Otro")["schemaName"] == "Otro"


def test_schema_values_fit_the_schema() -> None:
    values = account(enrollment()).custom_schema_values
    fields = {f["fieldName"]: f for f in SOFIA_SCHEMA_DEFINITION["fields"]}
    assert set(values) <= set(fields)
    for name, value in values.items():
        if fields[name]["multiValued"]:
            assert all(set(item) == {"value"} for item in value)
        else:
            assert isinstance(value, str)


statuses = st.sampled_from(list(EnrollmentStatus))
enrollment_sets = st.lists(
    st.builds(
        enrollment,
        ficha=st.sampled_from(["1", "2", "3", "4", "5"]),
        status=statuses,
        start=st.sampled_from([date(2024, 1, 1), date(2025, 1, 1), date(2026, 1, 1)]),
        regional=st.sampled_from([("11", "DISTRITO CAPITAL"), ANTIOQUIA, ("76", "VALLE")]),
    ),
    max_size=5,
    unique_by=lambda e: e.ficha,
)


@given(
    enrollment_sets,
    st.frozensets(st.sampled_from(list(Role))),
    st.data(),
)
@settings(max_examples=300)
def test_desired_account_is_deterministic_and_ignores_enrollment_order(
    enrollments: list[EnrollmentRecord], roles: frozenset[Role], data: st.DataObject
) -> None:
    record = person(*enrollments, roles=roles)
    shuffled = data.draw(st.permutations(enrollments))
    unsorted = record.model_copy(update={"enrollments": tuple(shuffled)})  # skips the sort
    desired = desired_account(record, SETTINGS)
    assert desired_account(unsorted, SETTINGS) == desired
    assert desired_account(record, SETTINGS) == desired
    if desired is not None:
        assert desired.org_unit_path.startswith(("/Aprendices/", "/Instructores/"))
        assert (desired.role is Role.INSTRUCTOR) == (Role.INSTRUCTOR in roles)
