"""The suspension a confirmed bulk plan pre-releases must carry, to the letter, the reason the
reconcile will give the circuit breaker when it suspends — now, or when the grace ends."""

from __future__ import annotations

from datetime import datetime, timedelta

from sofia_sync.contract import EnrollmentStatus
from sofia_sync.person import PersonRecord
from sofia_sync.planner import SuspendAccount, plan
from sofia_sync.policy import PolicySettings, StaffSuspension, coming_suspension, desired_account
from tests.support.record_factories import AT, NOW, enrollment, person
from workspace.models import UserName, WorkspaceUser

SETTINGS = PolicySettings()


def _reason_the_reconcile_gives(record: PersonRecord, when: datetime) -> str:
    """What the planner asks the brake for, against the person's active account at ``when``."""
    desired = desired_account(record, SETTINGS, when)
    assert desired is not None
    actual = WorkspaceUser(
        id="1",
        primary_email=desired.primary_email,
        name=UserName(given_name=desired.given_name, family_name=desired.family_name),
        org_unit_path=desired.org_unit_path,
        custom_schemas={desired.custom_schema: desired.custom_schema_values},
    )
    [suspend] = [a for a in plan(desired, actual) if isinstance(a, SuspendAccount)]
    return suspend.reason


def test_in_grace_it_is_the_reason_given_when_the_grace_ends() -> None:
    record = person(
        enrollment("1111111", EnrollmentStatus.CANCELADO, status_at=AT),
        enrollment("2222222", EnrollmentStatus.RETIRO_VOLUNTARIO, status_at=AT + timedelta(days=3)),
    )
    reason = coming_suspension(record, SETTINGS, NOW)
    assert reason == "enrollment RETIRO_VOLUNTARIO in ficha 2222222", "the latest deadline's reason"
    assert reason == _reason_the_reconcile_gives(record, AT + timedelta(days=40))


def test_already_due_it_is_the_reason_given_now() -> None:
    record = person(enrollment(status=EnrollmentStatus.CANCELADO, status_at=AT))
    later = AT + timedelta(days=31)
    assert coming_suspension(record, SETTINGS, later) == _reason_the_reconcile_gives(record, later)


def test_nothing_ending_or_it_staffs_own_is_none() -> None:
    assert coming_suspension(person(enrollment()), SETTINGS, NOW) is None
    ending = person(enrollment(status=EnrollmentStatus.CANCELADO, status_at=AT))
    assert coming_suspension(ending, SETTINGS, NOW, staff=StaffSuspension("misuse")) is None
