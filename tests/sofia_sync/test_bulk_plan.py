"""The bulk sync plan: roster facts as records, absences, the Directory snapshot, each person's
classification, and the whole plan with its safety refusals."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.texts import Text
from sofia_sync.bulk_plan import (
    BulkPlan,
    KnownPerson,
    PlanAction,
    PlanItem,
    Refusal,
    SafetySettings,
    Source,
    plan_bulk,
    plan_person,
)
from sofia_sync.contract import (
    EnrollmentStatus,
    Event,
    PersonPayload,
    PersonUpdated,
    Role,
)
from sofia_sync.directory_snapshot import ManagedPlaces, Snapshot
from sofia_sync.lifecycle import DEFAULT_ACTIVE_STATUSES
from sofia_sync.messages import Message
from sofia_sync.person import (
    BIRTH_DATE,
    DOCUMENT,
    MOBILE,
    NAMES,
    PERSONAL_EMAIL,
    ROLES,
    PersonRecord,
    apply_event,
    enrollment_field,
    merge_records,
)
from sofia_sync.planner import plan, plan_groups
from sofia_sync.policy import PolicySettings
from sofia_sync.roster import RosterPerson, Scope
from sofia_sync.roster_records import ABSENT_STATUS, absent_record, roster_record, with_roster_facts
from tests.support import event_strategies as strategies
from tests.support.bulk_plan_factories import (
    AFTER,
    BEFORE,
    BIOTECNOLOGIA,
    CUNDINAMARCA,
    DISTRITO,
    EXPORTED_AT,
    FINANCIEROS,
    INDUSTRIAL,
    NOW,
    SETTINGS,
    account,
    desired,
    enrollment_event,
    enrollment_payload,
    equivalent_events,
    faker_roster,
    known_from,
    managed,
    memberships,
    person_payload,
    roles_event,
    roster_people,
    roster_person,
    snapshot,
    updated_event,
)
from tests.support.event_strategies import BOGOTA
from tests.support.record_factories import fold
from workspace.models import ExternalId, UserName, WorkspaceUser
from workspace.user_snapshot import UserSnapshot

PERSON_FIELDS = (
    "document_type",
    "document_number",
    "first_names",
    "last_names",
    "personal_email",
    "mobile_e164",
    "birth_date",
)
SEEDS = st.integers(min_value=0, max_value=10_000)


# --- roster_record -------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(seed=SEEDS, data=st.data())
def test_a_roster_record_is_the_fold_of_the_equivalent_webhook_events(seed: int, data: st.DataObject) -> None:
    roster = faker_roster(30, seed)
    at = data.draw(st.sampled_from([EXPORTED_AT, EXPORTED_AT.astimezone(BOGOTA)]), label="at")
    for person in roster.people.values():
        events = equivalent_events(person, at)
        record = roster_record(person, at)
        assert record == fold(*events)
        # the webhooks may arrive in any order: the record is the same
        assert record == fold(*data.draw(st.permutations(events), label=person.key))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_fact_of_a_roster_record_is_dated_at_the_export(seed: int) -> None:
    roster = faker_roster(60, seed)
    assert any(person.instructor_fichas for person in roster.people.values())
    assert any(len(person.roles) == 2 for person in roster.people.values())
    at = EXPORTED_AT.astimezone(BOGOTA)
    for person in roster.people.values():
        record = roster_record(person, at)
        fichas = [enrollment.ficha for enrollment in person.enrollments]
        assert record.key == person.key
        assert set(record.field_times) == {
            DOCUMENT,
            NAMES,
            PERSONAL_EMAIL,
            MOBILE,
            BIRTH_DATE,
            ROLES,
            *map(enrollment_field, fichas),
        }
        assert set(record.field_times.values()) == {EXPORTED_AT}
        assert {enrollment.status_at for enrollment in record.enrollments} <= {EXPORTED_AT}
        assert [(e.ficha, e.status) for e in record.enrollments] == [
            (e.ficha, e.status) for e in person.enrollments
        ]
        assert record.roles == person.roles
        assert record.instructor_fichas == person.instructor_fichas
        assert record.ever_instructor is (Role.INSTRUCTOR in person.roles)
        assert record.previous_keys == frozenset()


# --- merging roster facts into misena's record ---------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    history=st.lists(strategies.full_events, min_size=1, max_size=6),
    person=roster_people(),
    at=strategies.instants,
)
def test_merging_a_roster_record_is_folding_its_events_after_the_history(
    history: list[Event], person: RosterPerson, at: datetime
) -> None:
    """The roster is one more source of facts: merged into misena's record it gives what
    Sofia's webhooks of the same facts would have, whatever the instants (ties included)."""
    mine = fold(*history)
    from_roster = roster_record(person, at)
    expected = fold(*equivalent_events(person, at), record=mine)
    assert merge_records(mine, from_roster) == expected
    assert merge_records(from_roster, mine) == expected


def older_version(person: RosterPerson) -> list[Event]:
    """Webhooks from before the export that said other things about every field."""
    payload = PersonPayload.model_validate(
        {
            **person.person.model_dump(),
            "first_names": "ANTIGUO NOMBRE",
            "last_names": "APELLIDO VIEJO",
            "personal_email": "antes@example.com",
            "mobile_phone": "315 987 6543",
        }
    )
    events: list[Event] = []
    for enrollment in person.enrollments:
        status = (
            EnrollmentStatus.CANCELADO
            if enrollment.status is EnrollmentStatus.EN_FORMACION
            else EnrollmentStatus.EN_FORMACION
        )
        stale = enrollment_payload(enrollment.ficha, status, CUNDINAMARCA, BIOTECNOLOGIA)
        events.append(enrollment_event(payload, stale, BEFORE))
    events.append(enrollment_event(payload, enrollment_payload("1999999"), BEFORE))
    events.append(roles_event(payload, [Role.INSTRUCTOR], BEFORE, ["3999999"]))
    return events


@pytest.mark.parametrize("seed", [4, 5])
def test_roster_facts_win_field_by_field_over_an_older_record(seed: int) -> None:
    for person in faker_roster(40, seed).people.values():
        older = fold(*older_version(person))
        from_roster = roster_record(person, EXPORTED_AT)
        merged = merge_records(older, from_roster)
        for name in PERSON_FIELDS:
            assert getattr(merged, name) == getattr(from_roster, name), name
        for enrollment in from_roster.enrollments:
            assert merged.enrollment(enrollment.ficha) == enrollment
        assert merged.roles == person.roles
        assert merged.instructor_fichas == person.instructor_fichas
        # what the roster says nothing about stays as misena knew it
        assert merged.enrollment("1999999") == older.enrollment("1999999")
        assert merged.field_times[enrollment_field("1999999")] == BEFORE
        assert merged.ever_instructor
        assert {merged.field_times[name] for name in from_roster.field_times} == {EXPORTED_AT}


def test_what_sofia_said_after_the_export_is_kept() -> None:
    person = roster_person(
        person_payload(),
        enrollment_payload("2758392"),
        enrollment_payload("2758393", EnrollmentStatus.CONDICIONADO),
    )
    renamed = person_payload(first_names="MARÍA JOSEFA", personal_email="majo@example.com")
    withdrawn = enrollment_payload("2758392", EnrollmentStatus.RETIRO_VOLUNTARIO)
    mine = fold(
        *equivalent_events(person, BEFORE),
        updated_event(renamed, AFTER),
        enrollment_event(renamed, withdrawn, AFTER),
        roles_event(renamed, [Role.INSTRUCTOR], AFTER, ["3100200"]),
    )
    from_roster = roster_record(person, EXPORTED_AT)
    for merged in (merge_records(mine, from_roster), merge_records(from_roster, mine)):
        assert (merged.first_names, merged.personal_email) == ("María Josefa", "majo@example.com")
        assert merged.field_times[NAMES] == AFTER
        (later, other) = merged.enrollments
        assert (later.status, later.status_at) == (EnrollmentStatus.RETIRO_VOLUNTARIO, AFTER)
        # the ficha Sofia said nothing more of comes from the roster
        assert other == from_roster.enrollment("2758393")
        assert merged.roles == {Role.INSTRUCTOR}
        assert merged.instructor_fichas == {"3100200"}
        assert merged.field_times[ROLES] == AFTER


# --- with_roster_facts: what a plan works from ----------------------------------------------

LONG_AGO = EXPORTED_AT - timedelta(days=40)


def test_a_roster_restating_everything_leaves_misenas_record_as_it_is() -> None:
    person = roster_person(None, enrollment_payload(), enrollment_payload("2811111"))
    mine = roster_record(person, LONG_AGO)
    assert with_roster_facts(mine, person, EXPORTED_AT) is mine
    assert with_roster_facts(None, person, EXPORTED_AT) == roster_record(person, EXPORTED_AT)


def test_a_restated_status_keeps_its_date_so_a_grace_period_is_not_restarted() -> None:
    """A nightly export repeating CANCELADO must not push the suspension back every night."""
    cancelled = enrollment_payload(status=EnrollmentStatus.CANCELADO)
    mine = roster_record(roster_person(None, cancelled), LONG_AGO)
    renamed = roster_person(person_payload(last_names="PEÑA DE LA TORRE RUIZ"), cancelled)

    merged = with_roster_facts(mine, renamed, EXPORTED_AT)

    assert merged.last_names == "Peña de la Torre Ruiz"  # the new fact is taken, dated now
    assert merged.field_times[NAMES] == EXPORTED_AT
    status = merged.enrollment(cancelled.ficha)
    assert status is not None
    assert status.status_at == LONG_AGO  # the restated one keeps the date it really changed
    assert merged.field_times[enrollment_field(cancelled.ficha)] == LONG_AGO
    assert SETTINGS.withdrawal_grace_days == 30
    assert desired(merged, NOW).suspended  # 41 days after the change: past the grace period


def test_a_changed_status_is_dated_at_the_export() -> None:
    mine = roster_record(roster_person(None, enrollment_payload()), LONG_AGO)
    cancelled = roster_person(None, enrollment_payload(status=EnrollmentStatus.CANCELADO))

    merged = with_roster_facts(mine, cancelled, EXPORTED_AT)

    status = merged.enrollment(enrollment_payload().ficha)
    assert status is not None
    assert (status.status, status.status_at) == (EnrollmentStatus.CANCELADO, EXPORTED_AT)


# --- absent_record -------------------------------------------------------------------------

#: ficha → (status, regional, centro) of the record the absence tests start from.
FICHAS = {
    "1000001": (EnrollmentStatus.EN_FORMACION, DISTRITO, FINANCIEROS),
    "1000002": (EnrollmentStatus.CONDICIONADO, CUNDINAMARCA, BIOTECNOLOGIA),
    "1000003": (EnrollmentStatus.CERTIFICADO, DISTRITO, FINANCIEROS),
    "1000004": (EnrollmentStatus.CANCELADO, DISTRITO, INDUSTRIAL),
    "1000005": (EnrollmentStatus.APLAZADO, DISTRITO, INDUSTRIAL),
    "1000006": (EnrollmentStatus.RETIRO_VOLUNTARIO, CUNDINAMARCA, BIOTECNOLOGIA),
}


def instructor_apprentice() -> PersonRecord:
    """An apprentice in several fichas (some ended) who is also an instructor, as of BEFORE."""
    enrollments = [enrollment_payload(ficha, *place) for ficha, place in FICHAS.items()]
    person = roster_person(None, *enrollments, instructor=True, instructor_fichas=["3000001"])
    return roster_record(person, BEFORE)


@pytest.mark.parametrize(
    ("scope", "ended"),
    [
        ("all", {"1000001", "1000002", "1000005"}),
        ("regional:11", {"1000001", "1000005"}),
        ("regional:25", {"1000002"}),
        ("centro:9229", {"1000001"}),
        ("centro:9401", {"1000005"}),
        ("centro:9110", set()),
    ],
)
def test_an_absence_ends_the_active_enrollments_of_the_scope_at_the_export(
    scope: str, ended: set[str]
) -> None:
    record = instructor_apprentice()
    result = absent_record(record, Scope.parse(scope), SETTINGS, EXPORTED_AT)
    assert ABSENT_STATUS is EnrollmentStatus.CANCELADO
    for before in record.enrollments:
        after = result.enrollment(before.ficha)
        if before.ficha in ended:
            assert after == before.model_copy(update={"status": ABSENT_STATUS, "status_at": EXPORTED_AT})
            assert result.field_times[enrollment_field(before.ficha)] == EXPORTED_AT
        else:
            assert after == before
            assert result.field_times[enrollment_field(before.ficha)] == BEFORE
    for name in PERSON_FIELDS:
        assert getattr(result, name) == getattr(record, name)


@pytest.mark.parametrize("scope", ["all", "regional:11", "regional:25", "centro:9229"])
def test_only_a_full_export_takes_the_instructor_role_away(scope: str) -> None:
    record = instructor_apprentice()
    result = absent_record(record, Scope.parse(scope), SETTINGS, EXPORTED_AT)
    if scope == "all":
        assert result.roles == {Role.APRENDIZ}
        assert result.instructor_fichas == frozenset()
        assert result.field_times[ROLES] == EXPORTED_AT
    else:
        assert result.roles == {Role.APRENDIZ, Role.INSTRUCTOR}
        assert result.instructor_fichas == {"3000001"}
        assert result.field_times[ROLES] == BEFORE
    assert result.ever_instructor


@pytest.mark.parametrize("status", list(EnrollmentStatus))
def test_which_statuses_an_absence_ends(status: EnrollmentStatus) -> None:
    record = roster_record(roster_person(None, enrollment_payload(status=status)), BEFORE)
    (result,) = absent_record(record, Scope.parse("regional:11"), SETTINGS, EXPORTED_AT).enrollments
    if status in DEFAULT_ACTIVE_STATUSES:
        assert (result.status, result.status_at) == (EnrollmentStatus.CANCELADO, EXPORTED_AT)
    else:
        assert result == record.enrollments[0]


def test_the_active_statuses_are_the_settings_ones() -> None:
    record = roster_record(
        roster_person(None, enrollment_payload(status=EnrollmentStatus.CONDICIONADO)), BEFORE
    )
    strict = PolicySettings(active_statuses=frozenset({EnrollmentStatus.EN_FORMACION}))
    assert absent_record(record, Scope("all"), strict, EXPORTED_AT) == record


def test_an_absence_never_undoes_what_sofia_said_after_the_export() -> None:
    person = person_payload()
    record = fold(
        enrollment_event(person, enrollment_payload("1000001"), BEFORE),
        enrollment_event(person, enrollment_payload("1000002"), AFTER),
        roles_event(person, [Role.APRENDIZ, Role.INSTRUCTOR], AFTER, ["3000001"]),
    )
    result = absent_record(record, Scope("all"), SETTINGS, EXPORTED_AT)
    assert result.enrollment("1000001").status is EnrollmentStatus.CANCELADO
    assert result.enrollment("1000002") == record.enrollment("1000002")
    assert result.roles == {Role.APRENDIZ, Role.INSTRUCTOR}
    assert result.instructor_fichas == {"3000001"}


@pytest.mark.parametrize("seed", [6, 7])
def test_an_absence_from_a_full_export_on_faker_people(seed: int) -> None:
    for person in faker_roster(40, seed).people.values():
        record = known_from(person)
        result = absent_record(record, Scope("all"), SETTINGS, EXPORTED_AT)
        for name in PERSON_FIELDS:
            assert getattr(result, name) == getattr(record, name)
        assert Role.INSTRUCTOR not in result.roles
        for before, after in zip(record.enrollments, result.enrollments, strict=True):
            if before.status in DEFAULT_ACTIVE_STATUSES:
                assert (after.status, after.status_at) == (EnrollmentStatus.CANCELADO, EXPORTED_AT)
            else:
                assert after == before


# --- Snapshot ------------------------------------------------------------------------------


def user(
    user_id: str,
    address: str,
    *,
    aliases: list[str] | None = None,
    schema: dict[str, object] | None = None,
    link: str | None = None,
    link_type: str = "organization",
    is_admin: bool = False,
    schema_name: str = "SofiaPlus",
) -> WorkspaceUser:
    return WorkspaceUser(
        id=user_id,
        primary_email=address,
        name=UserName(given_name="Ana", family_name="Ruiz"),
        aliases=aliases or [],
        custom_schemas={schema_name: schema} if schema is not None else {},
        external_ids=[ExternalId(value=link, type=link_type)] if link else [],
        is_admin=is_admin,
    )


def test_the_snapshot_finds_a_user_by_address_alias_or_id() -> None:
    ana = user("1", "Ana.Ruiz@misena.edu.co", aliases=["1098765432@MISENA.edu.co"])
    luis = user("2", "luis@misena.edu.co")
    users = snapshot(ana, luis)
    assert len(users) == 2
    assert users.find("ana.ruiz@misena.edu.co") == ana
    assert users.find("ANA.RUIZ@MISENA.EDU.CO") == ana
    assert users.find("1098765432@misena.edu.co") == ana
    assert users.find("nadie@misena.edu.co") is None
    # the id misena recorded wins over the address; an unknown id falls back to it
    assert users.find("luis@misena.edu.co", "1") == ana
    assert users.find("luis@misena.edu.co", "999") == luis
    assert users.find("nadie@misena.edu.co", "2") == luis


@pytest.mark.parametrize("alias_first", [True, False])
def test_a_primary_address_wins_over_another_users_alias(alias_first: bool) -> None:
    holder = user("1", "old@misena.edu.co", aliases=["shared@misena.edu.co"])
    owner = user("2", "shared@misena.edu.co")
    users = snapshot(*((holder, owner) if alias_first else (owner, holder)))
    assert users.find("shared@misena.edu.co") == owner


def managed_population() -> list[WorkspaceUser]:
    return [
        user("1", "a@x.co", link="CC-1", schema={"documentNumber": "1", "regional": "11", "centro": "9229"}),
        user("2", "b@x.co", schema={"documentNumber": "2", "regional": "11", "centro": "9401"}),
        user("3", "c@x.co", link="CC-3", schema={"regional": "25", "centro": "9202"}),
        user("4", "d@x.co", link="CC-4"),
        # not managed: an admin, no link at all, another kind of external id
        user("5", "e@x.co", link="CC-5", schema={"documentNumber": "5", "regional": "11"}, is_admin=True),
        user("6", "f@x.co", schema={"regional": "11", "centro": "9229"}),
        user("7", "g@x.co", link="CC-7", link_type="custom", schema={"regional": "11", "centro": "9229"}),
    ]


@pytest.mark.parametrize(
    ("scope", "count"),
    [
        ("all", 4),
        ("regional:11", 2),
        ("regional:25", 1),
        ("centro:9229", 1),
        ("centro:9401", 1),
        ("centro:9202", 1),
        ("regional:5", 0),
    ],
)
def test_managed_in_counts_linked_non_admin_accounts_the_schema_places_in_scope(
    scope: str, count: int
) -> None:
    assert snapshot(*managed_population()).managed_in(Scope.parse(scope)) == count


@pytest.mark.parametrize(
    "scope", ["all", "regional:11", "regional:25", "centro:9229", "centro:9401", "centro:9202", "regional:5"]
)
def test_managed_counts_taken_while_listing_are_those_of_a_pass_over_the_users(scope: str) -> None:
    """A listing counted by the same rule lends its counts; one counted by another rule, or
    not counted, is counted again — the counts never depend on how the users were listed."""
    page = [u.model_dump(by_alias=True, exclude_none=True, mode="json") for u in managed_population()]
    schema, link = SETTINGS.custom_schema, SETTINGS.external_id_type
    listings = [
        UserSnapshot(ManagedPlaces(schema, link)),
        UserSnapshot(),
        UserSnapshot(ManagedPlaces("Sena", "x")),
    ]
    for listing in listings:
        listing.add_page(page)
        listing.add_page(page[:3])  # chains overlap: a user listed twice is counted once
    assert listings[0].tallies[("all", None)] == 4
    counts = [Snapshot(listing, schema, link).managed_in(Scope.parse(scope)) for listing in listings]
    assert counts == [counts[0]] * 3


def test_managed_in_reads_the_configured_schema_and_link_type() -> None:
    users = [
        user("1", "a@x.co", link="CC-1", link_type="sofia"),
        user("2", "b@x.co", schema={"documentNumber": "2", "regional": "11"}, schema_name="Sena"),
        user("3", "c@x.co", link="CC-3", schema={"documentNumber": "3", "regional": "11"}),
    ]
    custom = Snapshot.of(users, "Sena", "sofia")
    assert custom.managed_in(Scope("all")) == 2
    assert custom.managed_in(Scope.parse("regional:11")) == 1


# --- plan_person ---------------------------------------------------------------------------

PERSON = roster_person(person_payload(), enrollment_payload())
RECORD = roster_record(PERSON, EXPORTED_AT)
WANTED = desired(RECORD)
KNOWN = KnownPerson(RECORD, group_memberships=memberships(WANTED), google_user_id="1")


def classify(
    *users: WorkspaceUser,
    known: KnownPerson | None = KNOWN,
    record: PersonRecord = RECORD,
    source: Source = Source.ROSTER,
    now: datetime = NOW,
    policy: PolicySettings = SETTINGS,
) -> PlanItem:
    return plan_person(record.key, record, known, snapshot(*users), policy, now, source)


def test_the_planned_account() -> None:
    assert WANTED.primary_email == "1098765432@misena.edu.co"
    assert WANTED.org_unit_path == "/Aprendices/Distrito Capital"
    assert [group.email for group in WANTED.groups] == ["ficha-2758392@misena.edu.co"]


@pytest.mark.parametrize("known", [None, KNOWN])
def test_no_account_is_a_creation(known: KnownPerson | None) -> None:
    item = classify(known=known)
    assert item == PlanItem(
        RECORD.key,
        PlanAction.CREATE,
        Message("create in /Aprendices/Distrito Capital"),
        Source.ROSTER,
        RECORD,
    )


def test_no_account_is_created_only_to_be_suspended() -> None:
    record = roster_record(roster_person(None, enrollment_payload(status=EnrollmentStatus.CANCELADO)), BEFORE)
    item = classify(known=None, record=record, now=BEFORE + timedelta(days=31))
    assert (item.action, item.record) == (PlanAction.UNCHANGED, None)  # nothing to store


def test_nothing_warrants_an_account() -> None:
    nobody = apply_event(None, roles_event(person_payload(), ["ADMINISTRATIVO"], EXPORTED_AT))
    item = classify(known=None, record=nobody)
    assert (item.action, item.detail, item.record) == (
        PlanAction.UNCHANGED,
        "nothing warrants an account",
        None,
    )


def test_the_account_as_misena_left_it_is_unchanged() -> None:
    ours = account(WANTED)
    assert plan(WANTED, ours) == []
    assert plan_groups(WANTED, KNOWN.group_memberships) == []
    assert classify(ours) == PlanItem(RECORD.key, PlanAction.UNCHANGED, Message(""), Source.ROSTER)
    # found by the id misena recorded, whatever its address answers to
    assert classify(account(WANTED, primary_email="otra@misena.edu.co")).action is PlanAction.RENAME


@pytest.mark.parametrize(
    ("recorded", "changes"),
    [
        (None, 1),
        ({}, 1),
        ({"ficha-2758392@misena.edu.co": "MANAGER"}, 1),
        ({"ficha-2758392@misena.edu.co": "MEMBER", "ficha-1@misena.edu.co": "MEMBER"}, 1),
        ({"ficha-1@misena.edu.co": "MEMBER"}, 2),
    ],
)
def test_only_ficha_groups_to_change(recorded: dict[str, str] | None, changes: int) -> None:
    known = KnownPerson(RECORD, group_memberships=recorded, google_user_id="1")
    item = classify(account(WANTED), known=known)
    assert (item.action, item.detail) == (PlanAction.GROUPS, f"{changes} ficha group change(s)")
    assert item.record == RECORD


def test_a_person_misena_does_not_know_yet_joins_their_groups() -> None:
    assert classify(account(WANTED), known=None).action is PlanAction.GROUPS


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"name": UserName(given_name="Maria Jose", family_name="Pena")}, "update name"),
        ({"recovery_email": "otro@example.com"}, "update recovery_email"),
        ({"custom_schemas": {}}, "update custom_schemas"),
        (
            {"name": UserName(given_name="Majo", family_name="Peña"), "recovery_phone": "+573159876543"},
            "update name, recovery_phone",
        ),
    ],
)
def test_fields_that_differ_are_an_update(fields: dict[str, object], detail: str) -> None:
    item = classify(account(WANTED, **fields))
    assert (item.action, item.detail, item.record) == (PlanAction.UPDATE, detail, RECORD)


@pytest.mark.parametrize("name", [None, UserName(given_name="Majo", family_name="Peña")])
def test_another_org_unit_is_a_move(name: UserName | None) -> None:
    fields: dict[str, object] = {"org_unit_path": "/Aprendices/Antioquia"}
    if name is not None:
        fields["name"] = name
    item = classify(account(WANTED, **fields))
    assert (item.action, item.detail) == (PlanAction.MOVE, "move to /Aprendices/Distrito Capital")


def renamed_person() -> tuple[PersonRecord, WorkspaceUser]:
    """A person misena knew under a TI (with an account for it) who now has a CC."""
    minor = person_payload("1000000001", "TI")
    before = roster_record(roster_person(minor, enrollment_payload()), BEFORE)
    old_account = account(desired(before), "1")
    change = PersonUpdated.model_validate(
        {
            "occurred_at": EXPORTED_AT,
            "data": {
                "person": person_payload().model_dump(),
                "previous_document": {"document_type": "TI", "document_number": "1000000001"},
            },
        }
    )
    record = apply_event(before, change)
    assert record.previous_keys == {"TI:1000000001"}
    return record, old_account


@pytest.mark.parametrize("user_id", [None, "1"])
def test_the_account_of_a_former_document_is_renamed(user_id: str | None) -> None:
    record, old_account = renamed_person()
    known = KnownPerson(record, group_memberships=memberships(desired(record)), google_user_id=user_id)
    item = classify(old_account, known=known, record=record)
    assert (item.action, item.detail, item.record) == (PlanAction.RENAME, "rename (document change)", record)
    assert classify(old_account, known=None, record=record).action is PlanAction.RENAME


def test_an_account_misena_suspended_is_reactivated() -> None:
    known = KnownPerson(
        RECORD, suspended_by_misena=True, group_memberships=memberships(WANTED), google_user_id="1"
    )
    item = classify(account(WANTED, suspended=True), known=known)
    assert (item.action, item.detail) == (PlanAction.REACTIVATE, "active enrollment in ficha 2758392")
    assert item.record == RECORD


def test_an_account_suspended_outside_misena_is_left_alone() -> None:
    item = classify(account(WANTED, suspended=True))
    assert item == PlanItem(
        RECORD.key,
        PlanAction.LEFT_ALONE,
        Message("suspended outside misena; only IT staff may reactivate it"),
        Source.ROSTER,
    )


@pytest.mark.parametrize("with_account", [False, True])
def test_a_person_excluded_by_it_staff_is_left_alone(with_account: bool) -> None:
    known = KnownPerson(RECORD, excluded=True, google_user_id="1")
    users = [account(WANTED, name=UserName(given_name="X", family_name="Y"))] if with_account else []
    item = classify(*users, known=known)
    assert item == PlanItem(
        RECORD.key, PlanAction.LEFT_ALONE, Message("excluded from management by IT staff"), Source.ROSTER
    )


@pytest.mark.parametrize(
    "foreign",
    [
        account(WANTED, external_ids=[ExternalId(value="CC-79123456")]),
        account(WANTED, is_admin=True),
        user("9", "1098765432@misena.edu.co"),
        user("9", "ana@misena.edu.co", aliases=["1098765432@misena.edu.co"]),
    ],
)
def test_an_account_that_is_someone_elses_is_a_conflict_left_alone(foreign: WorkspaceUser) -> None:
    item = classify(foreign, known=None)
    assert item.action is PlanAction.LEFT_ALONE
    assert item.detail.startswith("conflict: ")
    assert item.record is None


def test_an_account_excluded_by_configuration_is_left_alone_as_excluded_not_a_conflict() -> None:
    policy = PolicySettings(excluded_accounts=frozenset({"1098765432@misena.edu.co"}))
    item = classify(account(WANTED), policy=policy)
    assert (item.action, item.detail) == (
        PlanAction.LEFT_ALONE,
        "excluded: excluded from misena's management by configuration (MISENA_POLICY__EXCLUDED_ACCOUNTS)",
    )


def test_a_roster_saying_the_enrollment_ended_long_ago_is_a_suspension() -> None:
    person = roster_person(None, enrollment_payload(status=EnrollmentStatus.CANCELADO))
    record = roster_record(person, EXPORTED_AT)
    later = EXPORTED_AT + timedelta(days=31)
    wanted = desired(record, later)
    assert wanted.suspended
    known = KnownPerson(record, group_memberships=memberships(wanted), google_user_id="1")
    item = classify(account(wanted), known=known, record=record, now=later)
    assert (item.action, item.detail, item.source) == (
        PlanAction.SUSPEND,
        "enrollment CANCELADO in ficha 2758392",
        Source.ROSTER,
    )


@pytest.mark.parametrize("scope", ["all", "regional:11", "centro:9229"])
def test_an_absent_person_inside_the_grace_period_is_counted_apart(scope: str) -> None:
    """Left out of the export, the enrollment ends at the export: the account is suspended when
    the 30 days of grace end (unless Sofia Plus lists them again), not by this plan — so the
    item says ``grace``, with the day, not ``suspend``."""
    before = roster_record(PERSON, BEFORE)
    known, ours = managed(before, "1")
    ended = absent_record(before, Scope.parse(scope), SETTINGS, EXPORTED_AT)
    item = classify(ours, known=known, record=ended, source=Source.ABSENT)
    assert (item.action, item.source, item.record) == (PlanAction.GRACE, Source.ABSENT, ended)
    until = (EXPORTED_AT + timedelta(days=SETTINGS.withdrawal_grace_days)).date().isoformat()
    assert item.detail.startswith(f"absent from the roster: in grace until {until}, then suspended (")
    assert "enrollment CANCELADO in ficha 2758392" in item.detail
    assert "1 ficha group change(s)" in item.detail
    spanish = Text.of(item.reason).es
    assert spanish.startswith(f"ausente del reporte: en gracia hasta el {until}, luego se suspende (")


@pytest.mark.parametrize("scope", ["all", "regional:11"])
def test_an_absent_person_past_the_grace_period_is_a_suspension(scope: str) -> None:
    before = roster_record(PERSON, BEFORE)
    known, ours = managed(before, "1")
    ended = absent_record(before, Scope.parse(scope), SETTINGS, EXPORTED_AT)
    later = EXPORTED_AT + timedelta(days=SETTINGS.withdrawal_grace_days + 1)
    item = classify(ours, known=known, record=ended, source=Source.ABSENT, now=later)
    assert (item.action, item.source) == (PlanAction.SUSPEND, Source.ABSENT)
    assert item.detail.startswith("absent from the roster: enrollment CANCELADO in ficha 2758392")


# --- plan_bulk -----------------------------------------------------------------------------


def plan_of(
    roster: dict[str, RosterPerson],
    known: dict[str, KnownPerson],
    users: list[WorkspaceUser],
    scope: str = "regional:11",
    share: float = 0.05,
    **options: object,
) -> BulkPlan:
    return plan_bulk(
        roster,
        iter(known.items()),  # consumed once, as the database streams it
        snapshot(*users),
        scope=Scope.parse(scope),
        settings=SETTINGS,
        safety=SafetySettings(max_suspension_share=share),
        now=NOW,
        exported_at=EXPORTED_AT,
        **options,
    )


def check_counts(result: BulkPlan) -> None:
    assert sum(result.counts.values()) == len(result.items)
    assert set(result.counts) == {action.value for action in PlanAction}
    for action in PlanAction:
        assert result.counts[action.value] == sum(1 for item in result.items if item.action is action)
    assert result.suspensions == result.counts["suspend"] + result.counts["grace"]


def apprentice(number: str, *enrollments: object, **person: object) -> RosterPerson:
    chosen = enrollments or (enrollment_payload(),)
    return roster_person(person_payload(number, **person), *chosen)


class Scenario:
    """People of every kind misena may hold, around a roster of ``regional:11``."""

    def __init__(self) -> None:
        in_25 = enrollment_payload("2800001", regional=CUNDINAMARCA, centro=BIOTECNOLOGIA)
        ended = enrollment_payload("2800002", EnrollmentStatus.CANCELADO)
        self.new = apprentice("1000000011")
        self.same = apprentice("1000000012")
        self.renamed = apprentice("1000000013", first_names="JUAN")
        listed = [self.new, self.same, self.renamed]
        self.roster = {person.key: person for person in listed}
        old_names = apprentice("1000000013", first_names="JUANA")
        people = {
            "same": (self.same, {}),
            "renamed": (old_names, {}),
            "absent": (apprentice("1000000014"), {}),
            "elsewhere": (apprentice("1000000015", in_25), {}),
            "refused": (apprentice("1000000016"), {}),
            "excluded": (apprentice("1000000017"), {"excluded": True}),
            "no_account": (apprentice("1000000018"), {"google_user_id": None}),
            "ended": (apprentice("1000000019", ended), {}),
            "instructor": (roster_person(person_payload("1000000020"), instructor=True), {}),
        }
        self.keys = {name: person.key for name, (person, _) in people.items()}
        self.known: dict[str, KnownPerson] = {}
        self.users: list[WorkspaceUser] = []
        for index, (person, extra) in enumerate(people.values()):
            known, ours = managed(known_from(person), f"u{index}", **extra)
            self.known[person.key] = known
            if known.google_user_id is not None:
                self.users.append(ours)

    def plan(self, scope: str, **options: object) -> BulkPlan:
        return plan_of(
            self.roster,
            self.known,
            self.users,
            scope,
            share=1.0,
            refused_keys=frozenset({self.keys["refused"]}),
            **options,
        )


def test_a_scoped_plan() -> None:
    scenario = Scenario()
    result = scenario.plan("regional:11")
    actions = {(item.person_key, item.action, item.source) for item in result.items}
    assert actions == {
        (scenario.new.key, PlanAction.CREATE, Source.ROSTER),
        (scenario.same.key, PlanAction.UNCHANGED, Source.ROSTER),
        (scenario.renamed.key, PlanAction.UPDATE, Source.ROSTER),
        (scenario.keys["absent"], PlanAction.GRACE, Source.ABSENT),
    }
    assert len(result.items) == 4
    check_counts(result)
    assert {name: n for name, n in result.counts.items() if n} == {
        "create": 1,
        "unchanged": 1,
        "update": 1,
        "grace": 1,
    }
    assert (result.scope, result.roster_people, result.suspensions) == ("regional:11", 3, 1)
    # same, renamed, absent, refused, excluded and ended have an account placed in regional 11
    assert result.managed_in_scope == 6
    assert result.refusal is None


def test_a_full_plan_weighs_everyone_misena_manages() -> None:
    scenario = Scenario()
    result = scenario.plan("all")
    absent = {item.person_key for item in result.items if item.source is Source.ABSENT}
    assert absent == {scenario.keys[name] for name in ("absent", "elsewhere", "instructor")}
    assert all(item.action is PlanAction.GRACE for item in result.items if item.source is Source.ABSENT)
    check_counts(result)
    assert result.suspensions == 3
    assert result.managed_in_scope == len(scenario.users)


def test_people_whose_rows_were_refused_are_not_absent() -> None:
    scenario = Scenario()
    refused = frozenset({scenario.keys["absent"], scenario.keys["refused"]})
    result = plan_of(scenario.roster, scenario.known, scenario.users, "regional:11", refused_keys=refused)
    assert [item.person_key for item in result.items] == list(scenario.roster)
    assert result.suspensions == 0


def test_someone_sofia_enrolled_after_the_export_is_not_a_suspension() -> None:
    """An export taken before Sofia enrolled a person cannot list them, nor end an enrollment
    it never saw: their record and account stay as they are, so the plan must not count
    them among its suspensions (nor refuse itself for them)."""
    person = person_payload("1000000021")
    record = fold(enrollment_event(person, enrollment_payload("2758399"), AFTER))
    assert absent_record(record, Scope.parse("regional:11"), SETTINGS, EXPORTED_AT) == record
    known, ours = managed(record, "u1")
    listed = apprentice("1000000022")
    result = plan_of({listed.key: listed}, {record.key: known}, [ours], "regional:11")
    actions = [item.action for item in result.items if item.person_key == record.key]
    assert actions in ([], [PlanAction.UNCHANGED])
    assert result.suspensions == 0
    assert result.refusal is None


@settings(max_examples=20, deadline=None)
@given(seed=SEEDS, data=st.data())
def test_planning_a_scope_of_a_roster_misena_already_knows(seed: int, data: st.DataObject) -> None:
    roster = faker_roster(40, seed)
    scope = data.draw(st.sampled_from(["all", *roster.scope_counts()]), label="scope")
    chosen = Scope.parse(scope)
    known: dict[str, KnownPerson] = {}
    users: list[WorkspaceUser] = []
    for index, (key, person) in enumerate(roster.people.items()):
        known[key], ours = managed(known_from(person), f"u{index}")
        users.append(ours)
    in_scope = roster.in_scope(chosen)
    dropped = data.draw(st.sets(st.sampled_from(sorted(roster.people)), max_size=4), label="dropped")
    listed = {key: person for key, person in in_scope.items() if key not in dropped}

    result = plan_of(listed, known, users, scope, share=1.0)

    listed_items = [item for item in result.items if item.source is Source.ROSTER]
    assert [item.person_key for item in listed_items] == list(listed)
    # the same facts as misena already holds: nothing to do for anyone listed
    assert {item.action for item in listed_items} <= {PlanAction.UNCHANGED}

    def held_in_scope(person: RosterPerson) -> bool:
        for enrollment in person.enrollments:
            place = {"regional": enrollment.regional.code, "centro": enrollment.centro.code}
            where = chosen.kind == "all" or place[chosen.kind] == chosen.code
            if where and enrollment.status in DEFAULT_ACTIVE_STATUSES:
                return True
        return chosen.kind == "all" and Role.INSTRUCTOR in person.roles

    absent = {key for key in dropped if key in in_scope and held_in_scope(roster.people[key])}
    absent_items = [item for item in result.items if item.source is Source.ABSENT]
    assert {item.person_key for item in absent_items} == absent
    assert len(absent_items) == len(absent)
    # Absent people are suspensions unless something outside the scope still holds them
    # (another active enrollment): then their in-scope fichas just end.
    held_elsewhere = {PlanAction.UPDATE, PlanAction.MOVE, PlanAction.GROUPS, PlanAction.UNCHANGED}
    assert {item.action for item in absent_items} <= {PlanAction.SUSPEND, PlanAction.GRACE} | held_elsewhere
    check_counts(result)
    assert result.suspensions <= len(absent)
    assert result.roster_people == len(listed)
    if chosen.kind == "all":
        assert result.managed_in_scope == len(users)
    else:
        placed = [u.custom_schemas["SofiaPlus"].get(chosen.kind) for u in users]
        assert result.managed_in_scope == placed.count(chosen.code)


# --- refusals ------------------------------------------------------------------------------


Population = tuple[tuple[RosterPerson, ...], tuple[KnownPerson, ...], tuple[WorkspaceUser, ...]]


@cache
def _population() -> Population:
    people = tuple(apprentice(f"{2_000_000_000 + index}") for index in range(100))
    pairs = [managed(known_from(person), f"p{index}") for index, person in enumerate(people)]
    return people, tuple(known for known, _ in pairs), tuple(ours for _, ours in pairs)


def population(size: int) -> Population:
    """``size`` apprentices of regional 11 misena manages, each with their account."""
    people, known, users = _population()
    return people[:size], known[:size], users[:size]


def with_absences(managed_count: int, absent: int, share: float, **options: object) -> BulkPlan:
    """``managed_count`` managed accounts in regional 11; the roster lists all but ``absent``
    of them, plus a newcomer (so it is never empty)."""
    people, known, users = population(managed_count)
    newcomer = apprentice("1999999999")
    roster = {person.key: person for person in (*people[absent:], newcomer)}
    result = plan_of(roster, {k.record.key: k for k in known}, list(users), share=share, **options)
    assert (result.managed_in_scope, result.suspensions) == (managed_count, absent)
    return result


def spanish(refusal: Refusal) -> str:
    """The refusal as IT staff read it: app translates the domain's message from the catalogue."""
    return Text.of(refusal.message).es


def test_an_empty_roster_is_refused() -> None:
    scenario = Scenario()
    result = plan_of({}, scenario.known, scenario.users, "regional:11", truncated_at_line=7)
    assert result.refusal is not None
    assert result.refusal.code == "empty"
    assert "regional:11" in spanish(result.refusal)
    assert "regional:11" in result.refusal.message.en
    assert plan_of({}, {}, [], "centro:9229").refusal.code == "empty"


def test_a_truncated_roster_is_refused() -> None:
    result = with_absences(20, 10, 0.05, truncated_at_line=4812)
    assert result.refusal is not None
    assert result.refusal.code == "truncated"
    assert "línea 4812" in spanish(result.refusal)
    assert "line 4812" in result.refusal.message.en


def test_too_many_suspensions_are_refused() -> None:
    result = with_absences(20, 2, 0.05)
    assert result.refusal is not None
    assert result.refusal.code == "too_many_suspensions"
    assert "suspendería 2 de 20 cuentas" in spanish(result.refusal)
    assert "confirmando 2." in spanish(result.refusal)
    assert "regional:11" in spanish(result.refusal)
    assert "suspend 2 of 20 managed accounts" in result.refusal.message.en
    assert "confirming 2." in result.refusal.message.en
    assert "10.0%" in result.refusal.message.en


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_suspensions_are_refused_only_above_the_share(data: st.DataObject) -> None:
    managed_count = data.draw(st.integers(min_value=1, max_value=40), label="managed")
    absent = data.draw(st.integers(min_value=0, max_value=managed_count), label="absent")
    exactly = absent / managed_count
    assert with_absences(managed_count, absent, exactly).refusal is None
    below = with_absences(managed_count, absent, exactly * 0.999).refusal
    if absent:
        assert below is not None
        assert below.code == "too_many_suspensions"
        assert f"{absent} of {managed_count}" in below.message.en
    else:
        assert below is None


@pytest.mark.parametrize("managed_count", [0, 1, 20])
def test_no_suspension_is_never_refused_for_its_share(managed_count: int) -> None:
    assert with_absences(managed_count, 0, 0.0).refusal is None


def test_the_refusal_shows_the_limit_it_applied() -> None:
    """A limit of 1.5% must read 1.5%, not a rounded 2% the share (2.0%) seems to be within."""
    result = with_absences(100, 2, 0.015)
    assert result.refusal is not None
    assert result.refusal.code == "too_many_suspensions"
    assert "(2.0%)" in result.refusal.message.en
    assert "1.5%" in result.refusal.message.en
    assert "1.5%" in spanish(result.refusal)
