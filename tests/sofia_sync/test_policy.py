"""Person → desired account: who gets one, which org unit, what ties it to Sofia Plus."""

from __future__ import annotations

from datetime import date, datetime, timedelta

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
    FichaGroup,
    PolicySettings,
    desired_account,
    external_id,
    ficha_groups,
    org_unit_path,
    reference_enrollment,
    schema_definition,
)
from tests.support.record_factories import AT, NOW, enrollment, person
from workspace.emulator.body_validation import validate_body

SETTINGS = PolicySettings()
ANTIOQUIA = ("5", "ANTIOQUIA")
MEDELLIN = ("9206", "CENTRO DE TECNOLOGÍA DE LA MANUFACTURA AVANZADA")


def account(*enrollments: EnrollmentRecord, **fields: object) -> DesiredAccount:
    desired = desired_account(person(*enrollments, **fields), SETTINGS, NOW)  # type: ignore[arg-type]
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
        suspended=False,
        standing_reason="active enrollment in ficha 2758392",
        review_at=None,
        groups=(FichaGroup(email="ficha-2758392@misena.edu.co", name="Ficha 2758392", role="MEMBER"),),
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
    assert desired_account(person(roles=roles), SETTINGS, NOW) is None


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
    """(A CERTIFICADO enrollment would make this a graduate: see the graduates' tests.)"""
    desired = account(
        enrollment("1", start=date(2024, 1, 1), status=EnrollmentStatus.RETIRO_VOLUNTARIO),
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
        NOW,
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
    desired = desired_account(person(enrollment()), settings_, NOW)
    assert desired is not None
    assert desired.primary_email == "1098765432@sena.example.org"
    assert desired.org_unit_path == "/Aprendices/11 Distrito Capital/Centro de Servicios Financieros"
    assert (desired.custom_schema, desired.external_id_type) == ("Sofia", "custom")
    instructor = desired_account(person(roles=frozenset({Role.INSTRUCTOR})), settings_, NOW)
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


def _without_reason(desired: DesiredAccount | None) -> DesiredAccount | None:
    return None if desired is None else desired.model_copy(update={"standing_reason": ""})


@given(
    enrollment_sets,
    st.frozensets(st.sampled_from(list(Role))),
    st.sampled_from([NOW, AT + timedelta(days=31), AT + timedelta(days=181)]),
    st.data(),
)
@settings(max_examples=300)
def test_desired_account_is_deterministic_and_ignores_enrollment_order(
    enrollments: list[EnrollmentRecord], roles: frozenset[Role], now: datetime, data: st.DataObject
) -> None:
    record = person(*enrollments, roles=roles)
    shuffled = data.draw(st.permutations(enrollments))
    unsorted = record.model_copy(update={"enrollments": tuple(shuffled)})  # skips the sort
    desired = desired_account(record, SETTINGS, now)
    # Everything but the reason: when two enrollments end at the same instant, lifecycle
    # names the first one in tuple order (reported; a validated record is always sorted).
    assert _without_reason(desired_account(unsorted, SETTINGS, now)) == _without_reason(desired)
    assert desired_account(record, SETTINGS, now) == desired
    if desired is not None:
        assert desired.org_unit_path.startswith(("/Aprendices/", "/Instructores/", "/Egresados/"))
        assert (desired.role is Role.INSTRUCTOR) == (Role.INSTRUCTOR in roles)


# -- lifecycle in Google's terms -------------------------------------------------------------


def test_a_graduate_sits_in_the_graduates_unit() -> None:
    desired = account(enrollment(status=EnrollmentStatus.CERTIFICADO, regional=ANTIOQUIA))
    assert desired.org_unit_path == "/Egresados/Antioquia"
    assert desired.role is Role.APRENDIZ
    assert not desired.suspended
    assert desired.review_at == AT + timedelta(days=180)
    assert desired.custom_schema_values["fichas"] == []
    assert desired.groups == ()


def test_the_graduates_unit_template_is_configurable() -> None:
    settings_ = PolicySettings(graduate_org_unit="/Egresados/{regional_code}/{centro_code}")
    desired = desired_account(person(enrollment(status=EnrollmentStatus.CERTIFICADO)), settings_, NOW)
    assert desired is not None
    assert desired.org_unit_path == "/Egresados/11/9229"


@pytest.mark.parametrize("template", ["/Egresados/{ficha}", "Egresados", "/Egresados/{}"])
def test_settings_refuse_bad_graduate_templates(template: str) -> None:
    with pytest.raises(ValidationError):
        PolicySettings(graduate_org_unit=template)


@pytest.mark.parametrize(
    "status", [EnrollmentStatus.EN_FORMACION, EnrollmentStatus.CERTIFICADO, EnrollmentStatus.CANCELADO]
)
def test_both_roles_sit_in_the_instructors_unit(status: EnrollmentStatus) -> None:
    desired = account(enrollment(status=status), roles=frozenset({Role.INSTRUCTOR, Role.APRENDIZ}))
    assert desired.org_unit_path == "/Instructores/Distrito Capital"
    assert desired.role is Role.INSTRUCTOR
    assert not desired.suspended


def test_a_withdrawn_apprentice_is_suspended_after_the_grace_period() -> None:
    record = person(enrollment(status=EnrollmentStatus.RETIRO_VOLUNTARIO))
    during = desired_account(record, SETTINGS, AT + timedelta(days=29))
    after = desired_account(record, SETTINGS, AT + timedelta(days=30))
    assert during is not None
    assert after is not None
    assert (during.suspended, during.review_at) == (False, AT + timedelta(days=30))
    assert (after.suspended, after.review_at) == (True, None)
    assert after.standing_reason == "enrollment RETIRO_VOLUNTARIO in ficha 2758392"
    assert after.org_unit_path == during.org_unit_path == "/Aprendices/Distrito Capital"
    assert "1098765432" not in during.standing_reason


def test_exclusions_are_carried_casefolded() -> None:
    settings_ = PolicySettings(
        excluded_accounts=frozenset({" Rector@MiSena.edu.co "}),
        excluded_org_units=frozenset({"/Directivos/", "/"}),
    )
    assert settings_.excluded_accounts == {"rector@misena.edu.co"}
    assert settings_.excluded_org_units == {"/directivos", "/"}
    desired = desired_account(person(enrollment()), settings_, NOW)
    assert desired is not None
    assert desired.excluded_accounts == settings_.excluded_accounts
    assert desired.excluded_org_units == settings_.excluded_org_units


# -- ficha groups ----------------------------------------------------------------------------


def member(ficha: str) -> FichaGroup:
    return FichaGroup(email=f"ficha-{ficha}@misena.edu.co", name=f"Ficha {ficha}", role="MEMBER")


def manager(ficha: str) -> FichaGroup:
    return FichaGroup(email=f"ficha-{ficha}@misena.edu.co", name=f"Ficha {ficha}", role="MANAGER")


def test_apprentices_are_members_of_their_active_fichas_only() -> None:
    record = person(
        enrollment("3", status=EnrollmentStatus.APLAZADO),
        enrollment("1"),
        enrollment("2", status=EnrollmentStatus.CANCELADO),
        enrollment("4", status=EnrollmentStatus.CERTIFICADO),
    )
    assert ficha_groups(record, SETTINGS) == (member("1"), member("3"))
    assert account(*record.enrollments).groups == (member("1"), member("3"))


def test_instructors_manage_their_fichas() -> None:
    record = person(roles=frozenset({Role.INSTRUCTOR}), instructor_fichas=frozenset({"9", "5"}))
    assert ficha_groups(record, SETTINGS) == (manager("5"), manager("9"))


def test_manager_wins_over_member_for_the_same_ficha() -> None:
    record = person(
        enrollment("1"),
        enrollment("2"),
        roles=frozenset({Role.INSTRUCTOR, Role.APRENDIZ}),
        instructor_fichas=frozenset({"2", "3"}),
    )
    assert ficha_groups(record, SETTINGS) == (member("1"), manager("2"), manager("3"))


@pytest.mark.parametrize("roles", [frozenset(), frozenset({Role.APRENDIZ})])
def test_no_managed_fichas_once_the_instructor_role_is_gone(roles: frozenset[Role]) -> None:
    record = person(
        enrollment("1"), roles=roles, instructor_fichas=frozenset({"1", "2"}), ever_instructor=True
    )
    assert ficha_groups(record, SETTINGS) == (member("1"),)
    alone = person(roles=roles, instructor_fichas=frozenset({"2"}), ever_instructor=True)
    assert ficha_groups(alone, SETTINGS) == ()


def test_ficha_group_templates_are_configurable() -> None:
    settings_ = PolicySettings(
        domain="SENA.example.org",
        ficha_group_email="Grupo.{ficha}@{domain}",
        ficha_group_name="Ficha {ficha} ({domain})",
    )
    (group,) = ficha_groups(person(enrollment("2758392")), settings_)
    assert group == FichaGroup(
        email="grupo.2758392@sena.example.org", name="Ficha 2758392 (SENA.example.org)", role="MEMBER"
    )


@pytest.mark.parametrize(
    ("field", "template"),
    [
        ("ficha_group_email", "fichas@{domain}"),
        ("ficha_group_email", "ficha-{ficha}@{dominio}"),
        ("ficha_group_email", "ficha-{ficha}-{regional}@{domain}"),
        ("ficha_group_email", "ficha-{0}@{domain}"),
        ("ficha_group_name", "Ficha"),
        ("ficha_group_name", "Ficha {ficha} {centro}"),
    ],
)
def test_settings_refuse_bad_group_templates(field: str, template: str) -> None:
    with pytest.raises(ValidationError):
        PolicySettings.model_validate({field: template})


def test_a_graduate_is_placed_by_the_program_they_certified_in() -> None:
    certified = enrollment(
        "1", status=EnrollmentStatus.CERTIFICADO, regional=ANTIOQUIA, start=date(2024, 1, 1)
    )
    cancelled_later = enrollment("2", status=EnrollmentStatus.CANCELADO, start=date(2026, 1, 1))
    assert account(certified, cancelled_later).org_unit_path == "/Egresados/Antioquia"


@pytest.mark.parametrize(
    "template", ["ficha-{{ficha}}@{domain}", "Ficha {{ficha}}", "grupo@{domain}", "ficha-{centro}@{domain}"]
)
def test_group_templates_need_a_real_ficha_placeholder(template: str) -> None:
    with pytest.raises(ValidationError):
        PolicySettings(ficha_group_email=template)


def test_tied_deadlines_give_the_same_reason_in_any_order() -> None:
    record = person(
        enrollment("1", status=EnrollmentStatus.CERTIFICADO),
        enrollment("2", status=EnrollmentStatus.CERTIFICADO),
        roles=frozenset(),
    )
    unsorted = record.model_copy(update={"enrollments": tuple(reversed(record.enrollments))})
    first = desired_account(record, SETTINGS, NOW)
    second = desired_account(unsorted, SETTINGS, NOW)
    assert first is not None
    assert second is not None
    assert first.standing_reason == second.standing_reason
