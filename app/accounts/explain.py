"""One person's reconcile, explained without being made: the account wanted, the account Google
has now, and the exact Google calls a reconcile would make — like Entra's provision-on-demand,
but nothing is written.

Nothing here decides anything of its own. The account is decided and found by the reconciler
(:meth:`~app.accounts.reconcile.Reconciler.decide`, :meth:`~app.accounts.reconcile.Reconciler.find`),
the work by :func:`~app.accounts.account_work.decide_work` and
:func:`~sofia_sync.planner.plan_groups`, and the calls are the descriptions of those very
objects — the ones the reconcile executes. The explanation reads Google (the ``users.get``
lookups the reconcile makes, and a ficha group this process has not seen) and says which reads
it made; it writes nothing, not even the circuit breaker's window: a lifecycle suspension is
shown as the breaker would admit it, with a note.

Two answers are Google's to give and are described, not predicted: a missing org unit (the
write's ``INVALID_OU_ID`` makes the reconcile create it, see :mod:`app.accounts.org_units`) and
an account misena recorded that is now gone (the reconcile tries a restore first).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from app.accounts.account_decision import Known, creates_first
from app.accounts.account_work import (
    AccountWork,
    RefusedError,
    credentials_owed,
    decide_work,
    password_reset_calls,
)
from app.accounts.brake import Decision
from app.accounts.google_calls import GoogleCall, RecordedReads
from app.accounts.reconcile import Reconciler, has_delivery
from app.accounts.recovery import memberships_to_plan
from app.clock import Clock
from app.people.repository import KEEP
from sofia_sync.planner import plan, plan_groups
from sofia_sync.policy import DesiredAccount, LeftAlone, NoAccount
from workspace.models import WorkspaceUser
from workspace.ports import Directory

BRAKE_NOTE = "if the suspension circuit breaker admits it (otherwise held for IT staff, no call)"
CONFLICT_NOTE = "409: the address is taken; the reconcile reads it and plans again"


@dataclass(frozen=True)
class Explanation:
    """``outcome``: ``account`` (calls to make, maybe none), ``none`` (no account warranted),
    ``excluded`` (left alone by IT staff), ``refused`` (an account misena must not touch) or
    ``restore`` (the recorded account is gone: restored first, then planned again)."""

    person_id: int
    outcome: str
    detail: str = ""
    desired: DesiredAccount | None = None
    google_account: WorkspaceUser | None = None
    reads: list[GoogleCall] = field(default_factory=list)
    calls: list[GoogleCall] = field(default_factory=list)


def _admitted(_person_id: int, _reason: str) -> Decision:
    """The breaker's answer an explanation assumes: asking it would take a slot in its window."""
    return Decision.ADMITTED


class Explainer:
    def __init__(
        self, reconciler: Reconciler, directory: Directory, sessions: sessionmaker[Session], clock: Clock
    ) -> None:
        self._reconciler = reconciler
        self._directory = directory
        self._sessions = sessions
        self._clock = clock

    def explain(self, person_id: int) -> Explanation | None:
        """``None``: no such person."""
        known = self._reconciler.load(person_id)
        if known is None:
            return None
        desired = self._reconciler.decide(known)
        if isinstance(desired, LeftAlone):
            return Explanation(person_id, "excluded", "excluded from misena's management by IT staff")
        if isinstance(desired, NoAccount):
            return Explanation(person_id, "none", "no role or enrollment warrants an account")
        return self._account(person_id, known, desired)

    def _account(self, person_id: int, known: Known, desired: DesiredAccount) -> Explanation:
        reads = RecordedReads(self._directory.get_user)
        actual = self._reconciler.find(known, desired, reads)
        result = Explanation(
            person_id, "account", desired=desired, google_account=actual, reads=reads.calls()
        )
        if creates_first(known, desired):  # the reconcile inserts before it reads anything
            insert = GoogleCall("directory", "users.insert", desired.primary_email, note=CONFLICT_NOTE)
            first = [] if actual is None else [insert, *reads.calls()]
            return self._planned(result, known, desired, actual, first)
        if actual is None and known.google_user_id is not None:
            detail = "the recorded account is gone from Google: the reconcile tries to restore it first"
            return dataclasses.replace(result, outcome="restore", detail=detail, calls=reads.calls())
        return self._planned(result, known, desired, actual, reads.calls())

    def _planned(
        self,
        result: Explanation,
        known: Known,
        desired: DesiredAccount,
        actual: WorkspaceUser | None,
        calls: list[GoogleCall],
    ) -> Explanation:
        actions = plan(desired, actual, we_suspended=known.suspended_by_misena)
        if not actions and actual is None:
            return dataclasses.replace(result, outcome="none", detail=desired.standing_reason, calls=calls)
        try:
            work = decide_work(actions, known, result.person_id, _admitted, self._clock)
        except RefusedError as refused:
            return dataclasses.replace(result, outcome="refused", detail=refused.reason, calls=calls)
        account_calls = [
            dataclasses.replace(call, note=BRAKE_NOTE) if self._braked(call, known) else call
            for call in work.calls()
        ]
        member = _address_after(work, desired, actual)
        applied = None
        if actual is not None:
            applied = memberships_to_plan(
                known.group_memberships, recorded_id=known.google_user_id, account=actual, restored=False
            )
        group_plan = plan_groups(desired, applied)
        group_calls, group_reads = self._reconciler.groups.calls(
            group_plan, member, applied, existing=actual is not None
        )
        owed = (
            actual is not None
            and work.create is None
            and self._owes_credentials(result.person_id, known, actual, work)
        )
        planned = [*calls, *account_calls, *group_calls, *(password_reset_calls(member) if owed else [])]
        group_reads += [call for call in group_calls if call.method == "members.get"]
        detail = "; ".join(work.done) or ("create the account" if work.create else "nothing to change")
        return dataclasses.replace(result, detail=detail, calls=planned, reads=[*result.reads, *group_reads])

    @staticmethod
    def _braked(call: GoogleCall, known: Known) -> bool:
        return call.changes.get("suspended") is True and not known.staff_suspended

    def _owes_credentials(
        self, person_id: int, known: Known, actual: WorkspaceUser, work: AccountWork
    ) -> bool:
        """As the reconcile records the account (``credentials_owed``), with this run's status."""
        status = work.suspension.account_status
        with self._sessions() as session:
            return credentials_owed(
                known.google_user_id,
                actual.id,
                known.account_status if status is KEEP else status,
                lambda: has_delivery(session, person_id),
            )


def _address_after(work: AccountWork, desired: DesiredAccount, actual: WorkspaceUser | None) -> str:
    """The account's address once the work is done (the new one, after a create or rename)."""
    if work.create is not None or actual is None:
        return desired.primary_email
    return work.patch.changes.primary_email or actual.primary_email
