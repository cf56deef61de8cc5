"""Desired vs actual → actions: create, adopt, refuse, update only what differs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from sofia_sync.contract import DocumentType, EnrollmentStatus, Role
from sofia_sync.person import PersonRecord
from sofia_sync.planner import (
    Action,
    CreateAccount,
    GroupAction,
    JoinGroup,
    LeaveExcluded,
    LeaveGroup,
    LeaveSuspended,
    ReactivateAccount,
    RefuseForeignAccount,
    SuspendAccount,
    UpdateAccount,
    apply_changes,
    plan,
    plan_groups,
    to_new_user,
)
from sofia_sync.policy import DesiredAccount, FichaGroup, GroupRole, PolicySettings, desired_account
from tests.support.record_factories import AT, NOW, enrollment, person
from workspace.models import ExternalId, NewUser, Phone, UserChanges, UserName, WorkspaceUser

PASSWORD = SecretStr("Kx7-mQ2r-Tz9w")


def desired_for(record: PersonRecord, now: datetime = NOW) -> DesiredAccount:
    desired = desired_account(record, PolicySettings(), now)
    assert desired is not None
    return desired


DESIRED = desired_for(person(enrollment()))
ADDRESS = "1098765432@misena.edu.co"


def created_user(new_user: NewUser, user_id: str = "1") -> WorkspaceUser:
    """The account Google holds after ``users.insert`` of ``new_user``."""
    body = new_user.to_body()
    body.pop("password")
    body["name"]["fullName"] = f"{body['name']['givenName']} {body['name']['familyName']}"
    return WorkspaceUser.model_validate(
        {**body, "id": user_id, "primaryEmail": new_user.primary_email.lower()}
    )


def ours(**fields: Any) -> WorkspaceUser:
    """The account misena created for DESIRED, with ``fields`` changed."""
    return created_user(to_new_user(DESIRED, PASSWORD)).model_copy(update=fields)


def unlinked(given: str = "Maria Jose", family: str = "PENA DE LA TORRE", **fields: Any) -> WorkspaceUser:
    """An account with no Sofia Plus link, made by hand before misena."""
    fields.setdefault("primary_email", ADDRESS)
    return WorkspaceUser(id="7", name=UserName(given_name=given, family_name=family), **fields)


def only_update(actions: list[Action]) -> UpdateAccount:
    (action,) = actions
    assert isinstance(action, UpdateAccount)
    return action


def sent(changes: UserChanges) -> dict[str, Any]:
    """The body the Directory client sends for ``changes``."""
    return changes.model_dump(by_alias=True, exclude_unset=True, mode="json")


def test_no_account_yet_creates_one() -> None:
    assert plan(DESIRED, None) == [CreateAccount(DESIRED)]


def test_new_user_has_every_field_in_one_insert() -> None:
    body = to_new_user(DESIRED, PASSWORD).to_body()
    assert body == {
        "primaryEmail": ADDRESS,
        "name": {"givenName": "María José", "familyName": "Peña de la Torre"},
        "password": "Kx7-mQ2r-Tz9w",
        "changePasswordAtNextLogin": True,
        "orgUnitPath": "/Aprendices/Distrito Capital",
        "recoveryEmail": "majo.pena@example.com",
        "recoveryPhone": "+573001234567",
        "externalIds": [{"value": "TI-1098765432", "type": "organization"}],
        "phones": [{"value": "+573001234567", "type": "mobile"}],
        "customSchemas": {
            "SofiaPlus": {
                "documentType": "TI",
                "documentNumber": "1098765432",
                "fichas": [{"value": "2758392"}],
                "centro": "9229",
                "regional": "11",
            }
        },
        "suspended": False,
    }


def test_new_user_without_contact_data() -> None:
    desired = DESIRED.model_copy(update={"recovery_email": None, "recovery_phone": None})
    body = to_new_user(desired, PASSWORD).to_body()
    assert "recoveryEmail" not in body
    assert "recoveryPhone" not in body
    assert "phones" not in body


def test_new_user_does_not_share_the_desired_schema_values() -> None:
    new_user = to_new_user(DESIRED, PASSWORD)
    new_user.custom_schemas["SofiaPlus"]["fichas"].append({"value": "x"})
    assert DESIRED.custom_schema_values["fichas"] == [{"value": "2758392"}]


def test_our_account_in_step_plans_nothing() -> None:
    assert plan(DESIRED, ours()) == []


def test_org_unit_move_alone() -> None:
    update = only_update(plan(DESIRED, ours(org_unit_path="/Instructores/Antioquia")))
    assert update.primary_email == ADDRESS
    assert update.reasons == ("org_unit_path",)
    assert sent(update.changes) == {"orgUnitPath": "/Aprendices/Distrito Capital"}


def test_names_are_compared_exactly_for_our_own_account() -> None:
    actual = ours(name=UserName(given_name="MARIA JOSE", family_name="Peña de la Torre"))
    update = only_update(plan(DESIRED, actual))
    assert sent(update.changes) == {"name": {"givenName": "María José", "familyName": "Peña de la Torre"}}


def test_missing_contact_data_never_clears_the_account() -> None:
    desired = DESIRED.model_copy(update={"recovery_email": None, "recovery_phone": None})
    assert plan(desired, ours(recovery_email="propio@example.com")) == []


def test_recovery_email_compared_without_case() -> None:
    assert plan(DESIRED, ours(recovery_email="MAJO.PENA@example.com")) == []
    update = only_update(plan(DESIRED, ours(recovery_email="otro@example.com")))
    assert sent(update.changes) == {"recoveryEmail": "majo.pena@example.com"}


def test_new_mobile_replaces_recovery_phone_and_the_old_mobile() -> None:
    actual = ours(
        recovery_phone="+573159876543",
        phones=[
            Phone(value="+5716543210", type="work"),
            Phone(value="+573159876543", type="mobile"),
        ],
    )
    update = only_update(plan(DESIRED, actual))
    assert update.reasons == ("recovery_phone", "phones")
    assert sent(update.changes) == {
        "recoveryPhone": "+573001234567",
        "phones": [
            {"value": "+5716543210", "type": "work"},
            {"value": "+573001234567", "type": "mobile"},
        ],
    }


def test_our_mobile_kept_in_place_among_other_phones() -> None:
    phones = [Phone(value="+573001234567", type="mobile"), Phone(value="+5716543210", type="work")]
    assert plan(DESIRED, ours(phones=phones)) == []


def test_custom_schema_multi_values_as_google_returns_them() -> None:
    schema = {
        **DESIRED.custom_schema_values,
        "fichas": [{"type": "work", "value": "2758392"}],
        "notas": "campo de otro proceso",
    }
    assert plan(DESIRED, ours(custom_schemas={"SofiaPlus": schema})) == []


def test_custom_schema_change_sends_our_fields_only() -> None:
    schema = {**DESIRED.custom_schema_values, "fichas": [], "notas": "de otro proceso"}
    actual = ours(custom_schemas={"SofiaPlus": schema, "Otro": {"x": "1"}})
    update = only_update(plan(DESIRED, actual))
    assert update.reasons == ("custom_schemas",)
    assert sent(update.changes) == {"customSchemas": {"SofiaPlus": DESIRED.custom_schema_values}}
    after = apply_changes(actual, update.changes)
    assert after.custom_schemas["SofiaPlus"]["notas"] == "de otro proceso"
    assert after.custom_schemas["Otro"] == {"x": "1"}


def test_missing_fichas_equal_no_active_fichas() -> None:
    desired = desired_for(person(roles=frozenset({Role.INSTRUCTOR})))
    actual = created_user(to_new_user(desired, PASSWORD))
    del actual.custom_schemas["SofiaPlus"]["fichas"]
    assert plan(desired, actual) == []


def test_other_external_ids_are_kept() -> None:
    actual = ours(external_ids=[ExternalId(value="E-0042", type="account")])
    update = only_update(plan(DESIRED, actual))
    assert sent(update.changes) == {
        "externalIds": [
            {"value": "E-0042", "type": "account"},
            {"value": "TI-1098765432", "type": "organization"},
        ]
    }


def test_our_external_id_in_another_spelling_is_replaced() -> None:
    actual = ours(external_ids=[ExternalId(value="ti-1098765432", type="organization")])
    update = only_update(plan(DESIRED, actual))
    assert [e.value for e in update.changes.external_ids or []] == ["TI-1098765432"]


def test_admins_are_refused() -> None:
    (action,) = plan(DESIRED, ours(is_admin=True))
    assert action == RefuseForeignAccount(ADDRESS, "an administrator account is never managed by misena")


def test_account_of_another_person_by_external_id() -> None:
    actual = ours(external_ids=[ExternalId(value="CC-52123456", type="organization")])
    (action,) = plan(DESIRED, actual)
    assert isinstance(action, RefuseForeignAccount)
    assert "externalIds" in action.reason
    assert "52123456" not in action.reason


def test_account_of_another_person_by_custom_schema() -> None:
    schema = {**DESIRED.custom_schema_values, "documentNumber": "52123456"}
    (action,) = plan(DESIRED, ours(custom_schemas={"SofiaPlus": schema}))
    assert isinstance(action, RefuseForeignAccount)
    assert "custom schema" in action.reason


def test_same_number_under_another_document_type_is_someone_else() -> None:
    schema = {**DESIRED.custom_schema_values, "documentType": "CE"}
    (action,) = plan(DESIRED, ours(custom_schemas={"SofiaPlus": schema}))
    assert isinstance(action, RefuseForeignAccount)


def test_external_ids_of_other_types_are_no_link() -> None:
    actual = unlinked(external_ids=[ExternalId(value="CC-52123456", type="account")])
    update = only_update(plan(DESIRED, actual))
    assert "external_ids" in update.reasons


def test_unlinked_account_with_our_names_is_adopted() -> None:
    update = only_update(plan(DESIRED, unlinked()))
    assert update.reasons == (
        "name",
        "org_unit_path",
        "recovery_email",
        "recovery_phone",
        "external_ids",
        "phones",
        "custom_schemas",
    )
    assert update.changes.external_ids == [ExternalId(value="TI-1098765432")]
    assert plan(DESIRED, apply_changes(unlinked(), update.changes)) == []


@pytest.mark.parametrize(
    ("given", "family"),
    [("Carlos", "Peña de la Torre"), ("María José", "Gómez"), ("María", "Peña de la Torre")],
)
def test_unlinked_account_with_other_names_is_refused(given: str, family: str) -> None:
    (action,) = plan(DESIRED, unlinked(given, family))
    assert isinstance(action, RefuseForeignAccount)
    assert "other names" in action.reason


def test_unlinked_account_found_through_an_alias_is_refused() -> None:
    actual = unlinked(primary_email="majo@misena.edu.co", aliases=[ADDRESS])
    (action,) = plan(DESIRED, actual)
    assert isinstance(action, RefuseForeignAccount)
    assert "alias" in action.reason


def test_document_change_with_the_same_number_relinks_the_account() -> None:
    """TI → CC keeps the NUIP: same address, the links move to the CC."""
    renamed = desired_for(
        person(
            enrollment(),
            document_type=DocumentType.CC,
            previous_keys=frozenset({"TI:1098765432"}),
        ),
    )
    update = only_update(plan(renamed, ours()))
    assert update.reasons == ("external_ids", "custom_schemas")
    assert sent(update.changes)["externalIds"] == [{"value": "CC-1098765432", "type": "organization"}]
    assert plan(renamed, apply_changes(ours(), update.changes)) == []


def test_document_change_renames_the_account() -> None:
    """A PPT replaced by a CE: the account is found under the old address and renamed."""
    old = desired_for(person(enrollment(), document_type=DocumentType.PPT, document_number="ab12345"))
    new = desired_for(
        person(
            enrollment(),
            document_type=DocumentType.CE,
            document_number="987654",
            previous_keys=frozenset({"PPT:ab12345"}),
        )
    )
    actual = created_user(to_new_user(old, PASSWORD))
    update = only_update(plan(new, actual))
    assert update.primary_email == "ab12345@misena.edu.co"
    assert update.reasons[0] == "primary_email"
    after = apply_changes(actual, update.changes)
    assert after.primary_email == "987654@misena.edu.co"
    assert after.aliases == ["ab12345@misena.edu.co"]
    assert plan(new, after) == []


def test_without_the_former_document_the_old_account_is_someone_elses() -> None:
    old = desired_for(person(enrollment()))
    new = desired_for(person(enrollment(), document_type=DocumentType.CC))
    (action,) = plan(new, created_user(to_new_user(old, PASSWORD)))
    assert isinstance(action, RefuseForeignAccount)


def test_plans_never_suspend() -> None:
    """Not through an update, that is: suspension has actions of its own."""
    update, leave = plan(DESIRED, unlinked(suspended=True))
    assert isinstance(update, UpdateAccount)
    assert "suspended" not in update.changes.model_fields_set
    assert isinstance(leave, LeaveSuspended)


def test_apply_changes_follows_patch_semantics() -> None:
    actual = ours(aliases=["viejo@misena.edu.co"], recovery_email="a@example.com")
    changes = UserChanges(
        name=UserName(given_name="Ana", family_name="Ruiz"),
        recovery_email=None,
        phones=[Phone(value="+573001112233")],
        primary_email="Nuevo@misena.edu.co",
        suspended=True,
    )
    after = apply_changes(actual, changes)
    assert after.name == UserName(given_name="Ana", family_name="Ruiz", full_name="Ana Ruiz")
    assert after.recovery_email is None
    assert after.phones == [Phone(value="+573001112233")]
    assert after.primary_email == "nuevo@misena.edu.co"
    assert after.aliases == ["viejo@misena.edu.co", ADDRESS]
    assert after.suspended is True
    assert after.external_ids == actual.external_ids
    assert apply_changes(actual, UserChanges()) == actual


def test_apply_changes_merges_partial_names() -> None:
    actual = ours()
    given_only = UserName.model_construct(given_name="Ana")  # type: ignore[call-arg]
    after = apply_changes(actual, UserChanges(name=given_only))
    assert (after.name.given_name, after.name.family_name) == ("Ana", "Peña de la Torre")


# -- idempotence on random accounts --------------------------------------------------------

PEOPLE = [
    ("TI", "1098765432", frozenset()),
    ("CC", "1098765432", frozenset({"TI:1098765432"})),
    ("CE", "987654", frozenset({"PPT:ab12345"})),
    ("PPT", "ab12345", frozenset()),
]


@st.composite
def desired_accounts(draw: st.DrawFn) -> DesiredAccount:
    kind, number, previous = draw(st.sampled_from(PEOPLE))
    statuses = st.sampled_from(
        [EnrollmentStatus.EN_FORMACION, EnrollmentStatus.CANCELADO, EnrollmentStatus.CERTIFICADO]
    )
    record = person(
        *draw(
            st.lists(
                st.builds(enrollment, ficha=st.sampled_from(["1", "2"]), status=statuses),
                max_size=2,
                unique_by=lambda e: e.ficha,
            )
        ),
        roles=frozenset({Role.INSTRUCTOR}),
        document_type=DocumentType(kind),
        document_number=number,
        previous_keys=previous,
        first_names=draw(st.sampled_from(["María José", "Ana"])),
        personal_email=draw(st.sampled_from([None, "majo.pena@example.com"])),
        mobile_e164=draw(st.sampled_from([None, "+573001234567"])),
    )
    roles = draw(st.sampled_from([frozenset({Role.INSTRUCTOR}), frozenset()]))
    if record.enrollments:
        record = record.model_copy(update={"roles": roles})
    # A year on, every grace period has run out: inactive enrollments are suspended.
    return desired_for(record, draw(st.sampled_from([NOW, AT + timedelta(days=365)])))


def _link_ids(desired: DesiredAccount) -> st.SearchStrategy[list[ExternalId]]:
    candidates = [
        ExternalId(value=desired.external_id),
        ExternalId(value=desired.external_id.lower()),
        ExternalId(value="TI-1098765432"),
        ExternalId(value="PPT-ab12345"),
        ExternalId(value="CC-52123456"),
        ExternalId(value="E-0042", type="account"),
    ]
    return st.lists(st.sampled_from(candidates), max_size=3)


@st.composite
def actual_accounts(draw: st.DrawFn, desired: DesiredAccount) -> WorkspaceUser | None:
    if draw(st.booleans()):
        base = created_user(to_new_user(desired, PASSWORD))
    else:
        base = unlinked(
            draw(st.sampled_from([desired.given_name, desired.given_name.upper(), "Carlos"])),
            draw(st.sampled_from([desired.family_name, "PENA DE LA TORRE", "Gómez"])),
        )
    schema = draw(
        st.sampled_from(
            [
                None,
                {},
                dict(desired.custom_schema_values),
                {"documentType": "TI", "documentNumber": "1098765432", "fichas": [{"value": "9"}]},
                {"documentNumber": "ab12345", "notas": "x"},
                {"documentNumber": "52123456"},
            ]
        )
    )
    fields: dict[str, Any] = {
        "primary_email": draw(st.sampled_from([desired.primary_email, "otra@misena.edu.co"])),
        "is_admin": draw(st.booleans()) and draw(st.booleans()),
        "org_unit_path": draw(st.sampled_from([desired.org_unit_path, "/", "/Instructores/X"])),
        "recovery_email": draw(st.sampled_from([None, "x@example.com", desired.recovery_email])),
        "recovery_phone": draw(st.sampled_from([None, "+573159876543", desired.recovery_phone])),
        "external_ids": draw(_link_ids(desired)),
        "phones": draw(
            st.lists(
                st.builds(
                    Phone,
                    value=st.sampled_from(["+573001234567", "+573159876543"]),
                    type=st.sampled_from(["mobile", "work"]),
                ),
                max_size=3,
            )
        ),
        "custom_schemas": {} if schema is None else {"SofiaPlus": schema},
        "suspended": draw(st.booleans()),
    }
    keep = draw(st.sets(st.sampled_from(sorted(fields))))
    actual = base.model_copy(update={k: v for k, v in fields.items() if k not in keep})
    return None if draw(st.integers(0, 9)) == 9 else actual


SUSPENSION_ACTIONS = (SuspendAccount, ReactivateAccount, LeaveSuspended)


def carry_out(actions: list[Action], actual: WorkspaceUser | None) -> WorkspaceUser | None:
    """``LeaveSuspended`` changes nothing: it is a verdict, repeated while it holds."""
    for action in actions:
        if isinstance(action, CreateAccount):
            actual = created_user(to_new_user(action.desired, PASSWORD))
        elif isinstance(action, UpdateAccount):
            assert actual is not None
            actual = apply_changes(actual, action.changes)
        elif isinstance(action, SuspendAccount | ReactivateAccount):
            assert actual is not None
            assert action.user_key == actual.id
            actual = actual.model_copy(update={"suspended": isinstance(action, SuspendAccount)})
    return actual


@given(st.data())
@settings(max_examples=500, deadline=None)
def test_a_carried_out_plan_plans_nothing_more(data: st.DataObject) -> None:
    desired = data.draw(desired_accounts(), label="desired")
    actual = data.draw(actual_accounts(desired), label="actual")
    we_suspended = data.draw(st.booleans(), label="we_suspended")
    first = plan(desired, actual, we_suspended=we_suspended)
    event(" + ".join(type(action).__name__ for action in first) or "nothing to do")
    after = carry_out(first, actual)
    # A suspension misena carries out is recorded as its own.
    suspended_by_us = we_suspended or any(isinstance(action, SuspendAccount) for action in first)
    second = plan(desired, after, we_suspended=suspended_by_us)
    if any(isinstance(action, RefuseForeignAccount | LeaveExcluded) for action in first):
        assert second == first  # a refusal stands, and nothing was touched
        assert after == actual
        assert len(first) == 1
    else:
        assert second == [action for action in first if isinstance(action, LeaveSuspended)]
    assert len([action for action in first if not isinstance(action, SUSPENSION_ACTIONS)]) <= 1
    assert len([action for action in first if isinstance(action, SUSPENSION_ACTIONS)]) <= 1
    if actual is None:
        assert first == ([] if desired.suspended else [CreateAccount(desired)])
    if any(isinstance(action, ReactivateAccount) for action in first):
        assert we_suspended
    for action in first:
        if isinstance(action, UpdateAccount):
            assert not action.changes.is_empty()
            assert "suspended" not in action.changes.model_fields_set
            assert len(action.reasons) == len(action.changes.model_fields_set)


# -- suspension --------------------------------------------------------------------------------

WITHDRAWN = person(enrollment(status=EnrollmentStatus.RETIRO_VOLUNTARIO))
#: The withdrawn apprentice once the 30 days of grace are over.
SUSPENDED = desired_for(WITHDRAWN, AT + timedelta(days=30))


def test_the_withdrawn_apprentice_fixture_is_suspended() -> None:
    assert SUSPENDED.suspended
    assert SUSPENDED.standing_reason == "enrollment RETIRO_VOLUNTARIO in ficha 2758392"


def account_of(desired: DesiredAccount, **fields: Any) -> WorkspaceUser:
    """The account misena created for ``desired``, with ``fields`` changed."""
    return created_user(to_new_user(desired, PASSWORD)).model_copy(update=fields)


@pytest.mark.parametrize("we_suspended", [False, True])
def test_an_active_account_is_suspended_when_lifecycle_says_so(we_suspended: bool) -> None:
    actual = account_of(SUSPENDED)
    assert plan(SUSPENDED, actual, we_suspended=we_suspended) == [
        SuspendAccount(actual.id, "enrollment RETIRO_VOLUNTARIO in ficha 2758392")
    ]


def test_fields_are_updated_before_the_suspension() -> None:
    actual = account_of(SUSPENDED, org_unit_path="/Instructores/Antioquia")
    update, suspend = plan(SUSPENDED, actual)
    assert isinstance(update, UpdateAccount)
    assert update.reasons == ("org_unit_path",)
    assert "suspended" not in update.changes.model_fields_set
    assert suspend == SuspendAccount(actual.id, SUSPENDED.standing_reason)


@pytest.mark.parametrize("we_suspended", [False, True])
def test_a_suspended_account_in_step_plans_nothing(we_suspended: bool) -> None:
    actual = account_of(SUSPENDED, suspended=True, suspension_reason="ADMIN")
    assert plan(SUSPENDED, actual, we_suspended=we_suspended) == []


def test_a_suspended_account_with_stale_fields_is_only_updated() -> None:
    actual = account_of(SUSPENDED, suspended=True, recovery_email="viejo@example.com")
    update = only_update(plan(SUSPENDED, actual))
    assert update.reasons == ("recovery_email",)


@pytest.mark.parametrize("we_suspended", [False, True])
def test_no_account_is_created_only_to_be_suspended(we_suspended: bool) -> None:
    assert plan(SUSPENDED, None, we_suspended=we_suspended) == []


def test_an_account_misena_suspended_is_reactivated() -> None:
    actual = ours(suspended=True)
    assert plan(DESIRED, actual, we_suspended=True) == [
        ReactivateAccount(actual.id, "active enrollment in ficha 2758392")
    ]


def test_an_account_suspended_outside_misena_is_left_suspended() -> None:
    actual = ours(suspended=True, suspension_reason="ADMIN")
    (action,) = plan(DESIRED, actual)
    assert isinstance(action, LeaveSuspended)
    assert action.user_key == actual.id
    assert "outside misena" in action.reason
    assert plan(DESIRED, actual, we_suspended=False) == [action]


def test_reactivation_comes_after_the_update() -> None:
    actual = ours(suspended=True, org_unit_path="/Egresados/Distrito Capital")
    update, reactivate = plan(DESIRED, actual, we_suspended=True)
    assert isinstance(update, UpdateAccount)
    assert update.reasons == ("org_unit_path",)
    assert isinstance(reactivate, ReactivateAccount)


def test_an_active_account_in_step_is_not_reactivated() -> None:
    assert plan(DESIRED, ours(), we_suspended=True) == []


def test_a_foreign_account_is_refused_whatever_the_suspension() -> None:
    for desired in (DESIRED, SUSPENDED):
        (action,) = plan(desired, ours(is_admin=True, suspended=True), we_suspended=True)
        assert isinstance(action, RefuseForeignAccount)


def test_suspension_reasons_never_name_the_document() -> None:
    actual = account_of(SUSPENDED)
    for action in [*plan(SUSPENDED, actual), *plan(DESIRED, ours(suspended=True))]:
        assert isinstance(action, SuspendAccount | LeaveSuspended)
        assert "1098765432" not in action.reason


# -- exclusions -----------------------------------------------------------------------------


def excluding(**settings_: Any) -> DesiredAccount:
    desired = desired_account(person(enrollment()), PolicySettings(**settings_), NOW)
    assert desired is not None
    return desired


BY_ACCOUNT = "excluded from misena's management by configuration (MISENA_POLICY__EXCLUDED_ACCOUNTS)"
BY_ORG_UNIT = "excluded from misena's management by configuration (MISENA_POLICY__EXCLUDED_ORG_UNITS)"


@pytest.mark.parametrize(
    ("accounts", "actual"),
    [
        ({ADDRESS}, ours()),
        ({ADDRESS.upper()}, ours()),
        ({"majo@misena.edu.co"}, ours(aliases=["Majo@misena.edu.co"])),
    ],
    ids=["address", "address in another case", "alias"],
)
def test_excluded_accounts_are_left_alone(accounts: set[str], actual: WorkspaceUser) -> None:
    desired = excluding(excluded_accounts=frozenset(accounts))
    assert plan(desired, actual) == [LeaveExcluded(ADDRESS, BY_ACCOUNT)]


@pytest.mark.parametrize(
    ("unit", "path"),
    [
        ("/Aprendices", "/Aprendices"),
        ("/Aprendices", "/Aprendices/Distrito Capital"),
        ("/Aprendices/", "/Aprendices/Distrito Capital/Centro"),
        ("/aprendices", "/APRENDICES/Distrito Capital"),
        ("/", "/Aprendices/Distrito Capital"),
    ],
)
def test_accounts_in_excluded_org_units_are_left_alone(unit: str, path: str) -> None:
    desired = excluding(excluded_org_units=frozenset({unit}))
    assert plan(desired, ours(org_unit_path=path)) == [LeaveExcluded(ADDRESS, BY_ORG_UNIT)]


@pytest.mark.parametrize(
    "path", ["/Aprendices2", "/Aprendices2/Distrito Capital", "/Aprendice", "/Otros/Aprendices"]
)
def test_a_sibling_org_unit_is_not_excluded(path: str) -> None:
    desired = excluding(excluded_org_units=frozenset({"/Aprendices"}))
    update = only_update(plan(desired, ours(org_unit_path=path)))
    assert update.reasons == ("org_unit_path",)


def test_another_excluded_address_changes_nothing() -> None:
    desired = excluding(excluded_accounts=frozenset({"rector@misena.edu.co"}))
    assert plan(desired, ours()) == []


def test_an_excluded_account_is_never_suspended() -> None:
    desired = SUSPENDED.model_copy(update={"excluded_accounts": frozenset({ADDRESS})})
    assert plan(desired, account_of(SUSPENDED)) == [LeaveExcluded(ADDRESS, BY_ACCOUNT)]


# -- ficha groups ------------------------------------------------------------------------------


def group(ficha: str, role: GroupRole = "MEMBER") -> FichaGroup:
    return FichaGroup(email=f"ficha-{ficha}@misena.edu.co", name=f"Ficha {ficha}", role=role)


def with_groups(*groups: FichaGroup) -> DesiredAccount:
    return DESIRED.model_copy(update={"groups": groups})


def applied_after(actions: list[GroupAction], applied: dict[str, str] | None) -> dict[str, str]:
    """What misena records once ``actions`` are carried out."""
    result = dict(applied or {})
    for action in actions:
        if isinstance(action, JoinGroup):
            result[action.group.email] = action.group.role
        else:
            del result[action.group_email]
    return result


def test_the_desired_account_carries_its_ficha_groups() -> None:
    assert DESIRED.groups == (group("2758392"),)


def test_never_recorded_joins_every_group() -> None:
    desired = with_groups(group("1"), group("2", "MANAGER"))
    assert plan_groups(desired, None) == [JoinGroup(group("1")), JoinGroup(group("2", "MANAGER"))]


def test_groups_in_step_plan_nothing() -> None:
    desired = with_groups(group("1"), group("2", "MANAGER"))
    applied = {"ficha-1@misena.edu.co": "MEMBER", "ficha-2@misena.edu.co": "MANAGER"}
    assert plan_groups(desired, applied) == []


def test_groups_joined_and_left() -> None:
    desired = with_groups(group("2"), group("3"))
    applied = {
        "ficha-1@misena.edu.co": "MEMBER",
        "ficha-2@misena.edu.co": "MEMBER",
        "ficha-0@misena.edu.co": "MANAGER",
    }
    assert plan_groups(desired, applied) == [
        JoinGroup(group("3")),
        LeaveGroup("ficha-0@misena.edu.co"),
        LeaveGroup("ficha-1@misena.edu.co"),
    ]


@pytest.mark.parametrize(("before", "after"), [("MEMBER", "MANAGER"), ("MANAGER", "MEMBER")])
def test_a_role_change_is_a_join(before: GroupRole, after: GroupRole) -> None:
    desired = with_groups(group("1", after))
    assert plan_groups(desired, {"ficha-1@misena.edu.co": before}) == [JoinGroup(group("1", after))]


def test_no_groups_leaves_every_recorded_one() -> None:
    assert plan_groups(with_groups(), {"ficha-1@misena.edu.co": "MEMBER"}) == [
        LeaveGroup("ficha-1@misena.edu.co")
    ]
    assert plan_groups(with_groups(), None) == []
    assert plan_groups(with_groups(), {}) == []


def test_a_graduate_leaves_the_ficha_group() -> None:
    graduate = desired_for(person(enrollment(status=EnrollmentStatus.CERTIFICADO)))
    assert plan_groups(graduate, {"ficha-2758392@misena.edu.co": "MEMBER"}) == [
        LeaveGroup("ficha-2758392@misena.edu.co")
    ]


GROUP_POOL = [group(ficha, role) for ficha in ("1", "2", "3", "4") for role in ("MEMBER", "MANAGER")]


@given(
    st.lists(st.sampled_from(GROUP_POOL), max_size=4, unique_by=lambda g: g.email),
    st.one_of(
        st.none(),
        st.dictionaries(
            st.sampled_from([g.email for g in GROUP_POOL]), st.sampled_from(["MEMBER", "MANAGER"]), max_size=4
        ),
    ),
)
@settings(max_examples=200)
def test_carried_out_group_plans_plan_nothing_more(
    groups: list[FichaGroup], applied: dict[str, str] | None
) -> None:
    desired = with_groups(*groups)
    actions = plan_groups(desired, applied)
    after = applied_after(actions, applied)
    assert after == {g.email: g.role for g in groups}
    assert plan_groups(desired, after) == []
    joined = [a.group.email for a in actions if isinstance(a, JoinGroup)]
    left = [a.group_email for a in actions if isinstance(a, LeaveGroup)]
    assert len(set(joined)) == len(joined)
    assert not set(joined) & set(left)
