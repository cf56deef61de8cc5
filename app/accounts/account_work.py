"""The account's part of one reconcile, decided before any write is made.

The planner's actions (:func:`sofia_sync.planner.plan`) become the work: the account to create,
or the one ``users.update`` of an existing account (its field changes and its suspension or
reactivation together), plus what to record of it. The reconcile executes exactly this work
(:class:`~app.accounts.reconcile.Reconciler`), and the explanation of a person's plan
(:mod:`app.accounts.explain`) describes the same object with :meth:`AccountWork.calls` — so
the calls shown are the calls made, by construction.

The only decision that writes is the suspension circuit breaker's (:mod:`app.accounts.brake`):
the reconcile asks it; an explanation passes a question that writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import SecretStr

from app.accounts.account_decision import Known
from app.accounts.brake import Decision
from app.accounts.google_calls import GoogleCall, credentials_call, insert_call, update_call
from app.clock import Clock
from app.db.states import AccountStatus
from app.people.repository import AccountUpdate
from sofia_sync.planner import (
    Action,
    CreateAccount,
    LeaveExcluded,
    LeaveSuspended,
    ReactivateAccount,
    RefuseForeignAccount,
    SuspendAccount,
    UpdateAccount,
    to_new_user,
)
from sofia_sync.policy import DesiredAccount
from workspace.models import UserChanges

#: Asks whether a lifecycle suspension may be made now: (person id, reason) → the decision.
BrakeQuestion = Callable[[int, str], Decision]


class RefusedError(Exception):
    """The plan found an account misena must not touch — someone else's (``conflict``) or one
    the configuration excludes (``excluded``)."""

    def __init__(self, reason: str, status: AccountStatus = AccountStatus.CONFLICT) -> None:
        super().__init__(reason)
        self.reason, self.status = reason, status


@dataclass
class Patch:
    """What one ``users.update`` sends an existing account: the plan's field changes and its
    suspension or reactivation together, so a change of both costs one call, not two (Google
    answers with the whole account, which is all the reconcile reads of it afterwards)."""

    key: str | None = None
    changes: UserChanges = field(default_factory=UserChanges)
    #: The reason logged once the account is suspended (never IT staff's free text).
    suspension_logged: str | None = None

    def add(self, key: str, changes: UserChanges) -> None:
        """The first action names the account (the address before a rename, or its id)."""
        self.key = self.key or key
        self.changes = self.changes.model_copy(
            update={name: getattr(changes, name) for name in changes.model_fields_set}
        )


@dataclass
class AccountWork:
    """The account to create, or the patch of the existing one; what to record; the steps."""

    create: DesiredAccount | None = None
    patch: Patch = field(default_factory=Patch)
    suspension: AccountUpdate = field(default_factory=AccountUpdate)
    done: list[str] = field(default_factory=list)

    def calls(self) -> list[GoogleCall]:
        """The account's calls: the insert and the credentials it sends, or the one update."""
        if self.create is not None:
            new_user = to_new_user(self.create, SecretStr(""))
            return [insert_call(new_user), credentials_call(self.create.primary_email)]
        if self.patch.key is not None:
            return [update_call(self.patch.key, self.patch.changes)]
        return []


def decide_work(
    actions: list[Action], known: Known, person_id: int, brake: BrakeQuestion, clock: Clock
) -> AccountWork:
    """The work of ``actions``; raises :class:`RefusedError` for an account not to touch."""
    work = AccountWork()
    for action in actions:
        if isinstance(action, RefuseForeignAccount | LeaveExcluded):
            raise RefusedError(
                action.reason,
                AccountStatus.EXCLUDED if isinstance(action, LeaveExcluded) else AccountStatus.CONFLICT,
            )
        if isinstance(action, CreateAccount):
            work.create = action.desired
        else:
            work.suspension = work.suspension.then(_change(action, known, person_id, work, brake, clock))
    return work


def _change(
    action: Action, known: Known, person_id: int, work: AccountWork, brake: BrakeQuestion, clock: Clock
) -> AccountUpdate:
    """One action on an existing account, added to the patch; returns what to record of it."""
    if isinstance(action, UpdateAccount):
        work.done.append("updated: " + ", ".join(action.reasons))
        work.patch.add(action.primary_email, action.changes)
        return AccountUpdate()
    if isinstance(action, SuspendAccount):
        if known.staff_suspended:  # a person's decision, not a feed's: no brake
            return _suspension(action, work, clock, staff=True)
        return _suspend(action, work, brake(person_id, action.reason), clock)
    if isinstance(action, ReactivateAccount):
        work.done.append("reactivated")
        work.patch.add(action.user_key, UserChanges(suspended=False))
        return AccountUpdate(
            suspended_by_misena=False,
            suspension_reason=None,
            account_status=AccountStatus.ACTIVE,
            status_reason=None,
        )
    if isinstance(action, LeaveSuspended):
        work.done.append(action.reason)
        return AccountUpdate(account_status=AccountStatus.SUSPENDED_OUTSIDE, status_reason=action.reason)
    return AccountUpdate()


def _suspend(action: SuspendAccount, work: AccountWork, decision: Decision, clock: Clock) -> AccountUpdate:
    """A lifecycle suspension, as the circuit breaker decided it."""
    if decision is Decision.HELD:
        work.done.append("suspension held by the circuit breaker")
        return AccountUpdate(status_reason=f"suspension held for IT staff: {action.reason}")
    if decision is Decision.DISCARDED:
        work.done.append("suspension discarded by IT staff")
        return AccountUpdate(status_reason=f"suspension discarded by IT staff: {action.reason}")
    return _suspension(action, work, clock)


def _suspension(
    action: SuspendAccount, work: AccountWork, clock: Clock, *, staff: bool = False
) -> AccountUpdate:
    work.patch.add(action.user_key, UserChanges(suspended=True))
    # IT staff's reason is free text that may name the person: it lives in the audit
    # trail and the database, never in the logs. Lifecycle reasons are misena's own words.
    work.patch.suspension_logged = "by IT staff (see the audit trail)" if staff else action.reason
    work.done.append("suspended")
    return AccountUpdate(
        suspended_by_misena=True,
        suspension_reason=action.reason,
        suspended_at=clock(),
        account_status=AccountStatus.SUSPENDED,
        status_reason=action.reason,
    )


def replaces(recorded_id: str | None, account_id: str) -> bool:
    """Whether recording ``account_id`` replaces the account misena had recorded."""
    return recorded_id not in (None, account_id)


def credentials_owed(
    recorded_id: str | None, account_id: str, status: AccountStatus, has_delivery: Callable[[], bool]
) -> bool:
    """Whether recording ``account_id`` requests credentials: it replaces the account misena had
    recorded, or it is the person's first account (``pending``, never sent any)."""
    if replaces(recorded_id, account_id):
        return True
    return status == AccountStatus.PENDING and not has_delivery()


def password_reset_calls(account: str) -> list[GoogleCall]:
    """A delivery without the password just set: a fresh one (``users.update``), then the send."""
    reset = {"password": "(generated now; never shown)", "changePasswordAtNextLogin": True}
    return [GoogleCall("directory", "users.update", account, reset), credentials_call(account)]
