"""What misena knows of a person's account before a reconcile, and the account decided from it.

Apart from :class:`~app.accounts.reconcile.Reconciler` because the decision is the one the bulk
plan's preview takes too (:func:`sofia_sync.bulk_plan.decision_of`): kept beside the row it reads,
it can be checked against the preview without a Directory, a courier or a circuit breaker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.db.states import AccountStatus
from sofia_sync.person import PersonRecord
from sofia_sync.planner import CreateAccount, plan
from sofia_sync.policy import (
    AccountDecision,
    DesiredAccount,
    PolicySettings,
    decide_account,
    staff_suspension,
)


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
    #: The row's status: ``pending`` until misena first finds or makes an account.
    account_status: AccountStatus = AccountStatus.PENDING


def decision_for(known: Known, policy: PolicySettings, now: datetime) -> AccountDecision:
    """The reconcile's decision of the account from what misena knows: the bulk plan's
    (:func:`~sofia_sync.policy.decide_account`), with IT staff's exclusion and suspension as
    the row stores them."""
    staff = staff_suspension(known.staff_suspended, known.staff_reason)
    return decide_account(known.record, policy, now, excluded=known.excluded, staff=staff)


def creates_first(known: Known, desired: DesiredAccount) -> bool:
    """Whether the reconcile creates the account without asking Google first: when misena never
    had an account for the person, only one address could hold one (no former documents), and
    the plan for "no account" is to create it. A ``users.get`` would answer 404 for nearly every
    new enrollment; the insert's 409 says "it exists" instead, and the reconcile then reads it
    and plans again — so a new account costs one Directory call, not two, and an account made
    outside misena is still found, adopted or refused exactly as before."""
    never_had_account = known.google_user_id is None and known.account_status == AccountStatus.PENDING
    if not never_had_account or desired.former_documents:
        return False
    return any(isinstance(action, CreateAccount) for action in plan(desired, None, we_suspended=False))
