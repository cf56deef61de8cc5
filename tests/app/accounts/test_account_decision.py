"""The reconcile and the bulk plan decide a person's account the same way: for any record, IT
staff's exclusion and IT staff's suspension, the reconcile's decision (from the row's flags)
is the plan's (from what the plan reads of misena's people), and the plan's preview follows
it — an excluded person is left alone, a staff-suspended one is never previewed reactivated."""

from __future__ import annotations

from datetime import timedelta
from functools import reduce

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.accounts.account_decision import Known, decision_for
from sofia_sync.bulk_plan import KnownPerson, PlanAction, Source, decision_of, plan_person
from sofia_sync.contract import Event
from sofia_sync.person import PersonRecord, apply_event
from sofia_sync.policy import DesiredAccount, LeftAlone, NoAccount, PolicySettings, staff_suspension
from tests.support import event_strategies as strategies
from tests.support.bulk_plan_factories import account, snapshot

POLICY = PolicySettings()
NOW = strategies.BASE + timedelta(days=3)

records = st.lists(strategies.full_events, min_size=1, max_size=6).map(
    lambda events: reduce(_applied, events, None)
)


def _applied(record: PersonRecord | None, event: Event) -> PersonRecord:
    return apply_event(record, event)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    record=records,
    excluded=st.booleans(),
    staff_suspended=st.booleans(),
    staff_reason=st.sampled_from([None, "Uso indebido reportado, ticket 4711"]),
    has_account=st.booleans(),
    account_suspended=st.booleans(),
    suspended_by_misena=st.booleans(),
)
def test_the_reconcile_and_the_plan_take_the_same_decision(
    record: PersonRecord,
    excluded: bool,
    staff_suspended: bool,
    staff_reason: str | None,
    has_account: bool,
    account_suspended: bool,
    suspended_by_misena: bool,
) -> None:
    user_id = "1" if has_account else None
    row = Known(
        record=record,
        google_user_id=user_id,
        suspended_by_misena=suspended_by_misena,
        group_memberships=None,
        excluded=excluded,
        staff_suspended=staff_suspended,
        staff_reason=staff_reason,
    )
    held = KnownPerson(
        record,
        excluded=excluded,
        suspended_by_misena=suspended_by_misena,
        google_user_id=user_id,
        staff=staff_suspension(staff_suspended, staff_reason),
    )

    reconciled = decision_for(row, POLICY, NOW)
    assert decision_of(record, held, POLICY, NOW) == reconciled

    users = []
    if has_account and isinstance(reconciled, DesiredAccount):
        users.append(account(reconciled, "1", suspended=account_suspended))
    item = plan_person(record.key, record, held, snapshot(*users), POLICY, NOW, Source.ROSTER)
    if isinstance(reconciled, LeftAlone):
        assert excluded
        assert (item.action, item.detail) == (PlanAction.LEFT_ALONE, "excluded from management by IT staff")
    elif isinstance(reconciled, NoAccount):
        assert item.action is PlanAction.UNCHANGED
    else:
        assert not excluded
        if staff_suspended:
            assert reconciled.suspended
            assert reconciled.standing_reason.startswith("suspended by IT staff")
            assert item.action is not PlanAction.REACTIVATE
