"""What misena knows of a person's account before a reconcile, and the account decided from it.

Apart from :class:`~app.accounts.reconcile.Reconciler` because the decision is the one the bulk
plan's preview takes too (:func:`sofia_sync.bulk_plan.decision_of`): kept beside the row it reads,
it can be checked against the preview without a Directory, a courier or a circuit breaker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sofia_sync.person import PersonRecord
from sofia_sync.policy import AccountDecision, PolicySettings, decide_account, staff_suspension


@dataclass(frozen=True)
class Known:
    """What misena knows of the person's account before this run."""

    record: PersonRecord
    google_user_id: str | None
    suspended_by_misena: bool
    group_memberships: dict[str, str] | None
    excluded: bool = False
    staff_suspended: bool = False
    staff_reason: str | None = None


def decision_for(known: Known, policy: PolicySettings, now: datetime) -> AccountDecision:
    """The reconcile's decision of the account from what misena knows: the bulk plan's
    (:func:`~sofia_sync.policy.decide_account`), with IT staff's exclusion and suspension as
    the row stores them."""
    staff = staff_suspension(known.staff_suspended, known.staff_reason)
    return decide_account(known.record, policy, now, excluded=known.excluded, staff=staff)
