"""The rules that make a bulk plan's preview what the reconcile will do, pure: IT staff's
suspension (through the policy), IT staff's decision on a held suspension (one rule for the
brake and the plan), endings a roster cannot date, and rows that name no place."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sofia_sync.bulk_plan import BulkPlan, KnownPerson, PlanAction, SafetySettings, plan_bulk
from sofia_sync.contract import EnrollmentStatus
from sofia_sync.held_suspensions import HoldDecision, LatestHold, staff_decision
from sofia_sync.policy import StaffSuspension, desired_account
from sofia_sync.roster import RosterPerson, Scope
from sofia_sync.roster_records import UNDATED, roster_record
from tests.support.bulk_plan_factories import (
    BEFORE,
    EXPORTED_AT,
    NOW,
    SETTINGS,
    enrollment_payload,
    managed,
    roster_person,
    snapshot,
)
from workspace.models import WorkspaceUser

REASON = "enrollment CANCELADO in ficha 2758392"
ENDED = (EnrollmentStatus.RETIRO_VOLUNTARIO, EnrollmentStatus.CANCELADO, EnrollmentStatus.CERTIFICADO)


def plan_one(person: RosterPerson, known: KnownPerson | None = None, *users: WorkspaceUser) -> BulkPlan:
    return plan_bulk(
        {person.key: person},
        iter([(person.key, known)] if known else []),
        snapshot(*users),
        scope=Scope("all"),
        settings=SETTINGS,
        safety=SafetySettings(max_suspension_share=1.0),
        now=NOW,
        exported_at=EXPORTED_AT,
    )


# --- IT staff's suspension -----------------------------------------------------------------


def test_a_staff_suspension_overrides_the_lifecycle_without_grace_or_review() -> None:
    record = roster_record(roster_person(None, enrollment_payload()), BEFORE)
    plain = desired_account(record, SETTINGS, NOW)
    staffed = desired_account(record, SETTINGS, NOW, staff=StaffSuspension("Ticket 4711"))
    assert plain is not None
    assert staffed is not None
    assert not plain.suspended
    assert (staffed.suspended, staffed.standing_reason, staffed.review_at) == (
        True,
        "suspended by IT staff: Ticket 4711",
        None,
    )
    assert staffed.model_copy(update={"suspended": False, "standing_reason": plain.standing_reason}) == plain
    assert StaffSuspension().standing_reason == "suspended by IT staff: no reason given"


def test_a_staff_suspended_account_listed_as_active_is_not_reactivated() -> None:
    person = roster_person(None, enrollment_payload())
    record = roster_record(person, BEFORE)
    known, ours = managed(record, "u1", suspended_by_misena=True, staff=StaffSuspension("Ticket 4711"))
    [item] = plan_one(person, known, ours.model_copy(update={"suspended": True})).items
    assert (item.action, item.detail) == (
        PlanAction.UNCHANGED,
        "stays suspended: suspended by IT staff: Ticket 4711",
    )


# --- held suspensions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latest", "decision"),
    [
        (None, None),
        (LatestHold("held", REASON), HoldDecision.HELD),
        (LatestHold("released", REASON), HoldDecision.RELEASED),
        (LatestHold("discarded", REASON), HoldDecision.DISCARDED),
        (LatestHold("discarded", "another reason"), None),
        (LatestHold("obsolete", REASON), None),
    ],
)
def test_staff_decision_applies_for_the_same_reason_only(
    latest: LatestHold | None, decision: HoldDecision | None
) -> None:
    assert staff_decision(latest, REASON) is decision


@pytest.mark.parametrize(
    ("state", "action"),
    [("held", PlanAction.LEFT_ALONE), ("discarded", PlanAction.LEFT_ALONE), ("released", PlanAction.SUSPEND)],
)
def test_a_suspension_the_brake_holds_back_is_not_previewed_as_one(state: str, action: PlanAction) -> None:
    cancelled = enrollment_payload(status=EnrollmentStatus.CANCELADO)
    person = roster_person(None, cancelled)
    record = roster_record(person, EXPORTED_AT.replace(year=EXPORTED_AT.year - 1))  # long past its grace
    known, ours = managed(record, "u1", hold=LatestHold(state, REASON))
    result = plan_one(person, known, ours.model_copy(update={"suspended": False}))
    [item] = result.items
    assert item.action is action
    assert REASON in item.detail
    assert result.suspensions == (1 if action is PlanAction.SUSPEND else 0)


# --- endings a roster cannot date ------------------------------------------------------------


@pytest.mark.parametrize("status", ENDED)
def test_no_account_is_created_for_an_ending_only_the_roster_tells(status: EnrollmentStatus) -> None:
    [item] = plan_one(roster_person(None, enrollment_payload(status=status))).items
    assert item.action is PlanAction.UNCHANGED
    assert item.detail.startswith("no account created: ")
    assert item.record is None


def test_an_active_ficha_creates_the_account_and_the_ending_beside_it_stays_undated() -> None:
    person = roster_person(
        None, enrollment_payload(), enrollment_payload("2900001", EnrollmentStatus.CANCELADO)
    )
    [item] = plan_one(person).items
    assert item.action is PlanAction.CREATE
    assert item.record is not None
    ended = item.record.enrollment("2900001")
    assert ended is not None
    assert ended.status_at == UNDATED
    assert item.record.enrollment("2758392") == roster_record(person, EXPORTED_AT).enrollment("2758392")


def test_an_existing_account_keeps_the_grace_period_from_the_export() -> None:
    active = roster_person(None, enrollment_payload())
    known, ours = managed(roster_record(active, BEFORE), "u1")
    withdrawn = roster_person(None, enrollment_payload(status=EnrollmentStatus.RETIRO_VOLUNTARIO))
    [item] = plan_one(withdrawn, known, ours).items
    assert item.action is not PlanAction.SUSPEND
    assert item.record is None or item.record.enrollments[0].status_at == EXPORTED_AT


def test_an_ending_of_a_ficha_misena_knew_keeps_the_exports_date_without_an_account() -> None:
    """misena's record orders that ficha by date: an undated ending would lose to what it knew."""
    known = KnownPerson(roster_record(roster_person(None, enrollment_payload()), BEFORE))
    withdrawn = roster_person(None, enrollment_payload(status=EnrollmentStatus.RETIRO_VOLUNTARIO))
    [item] = plan_one(withdrawn, known).items
    assert item.action is PlanAction.CREATE, "dated at the export, its grace runs: as for a webhook"


# --- rows that name no place ---------------------------------------------------------------


def test_a_row_that_names_no_place_belongs_to_any_scope_it_is_planned_for() -> None:
    instructor = roster_person(None, instructor=True)
    assert instructor.regional_codes == instructor.centro_codes == frozenset()
    unplaced = replace(instructor, unplaced=frozenset({"regional", "centro"}))
    centro_only = replace(instructor, centro_codes=frozenset({"9229"}), unplaced=frozenset({"regional"}))
    for scope in ("all", "regional:11", "centro:9229"):
        assert Scope.parse(scope).contains(unplaced)
    assert Scope.parse("regional:11").contains(centro_only)
    assert Scope.parse("centro:9229").contains(centro_only)
    assert not Scope.parse("centro:9110").contains(centro_only)
    assert not Scope.parse("centro:9229").contains(instructor), "every row placed, elsewhere"
