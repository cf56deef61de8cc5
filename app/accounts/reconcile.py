"""Reconcile one person: desired (policy at this instant) vs actual (Google) → actions → apply.

Level-triggered and idempotent: whatever events, retries or crashes came before, running this
again converges on the same account. The only non-idempotent effect, sending credentials, is
recorded in the database in the same transaction that records the account's creation.

The account is found by the Google id misena recorded (robust to renames by anyone), else by
the address the person should have, else by the addresses of their former documents — so a
TI → CC change renames the one account instead of creating a second. An account misena
recorded that is gone from Google (deleted by an admin) is restored, or else created again
with fresh credentials (:mod:`app.accounts.recovery`). Suspensions go through the circuit
breaker (:mod:`app.accounts.brake`); ficha groups through :mod:`app.accounts.ficha_groups`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts import recovery
from app.accounts.brake import Decision, SuspensionBrake
from app.accounts.ficha_groups import FichaGroups
from app.clock import Clock
from app.credentials.delivery import Courier, request_delivery
from app.credentials.delivery_jobs import bring_forward, drop_if_idle, queue_behind_inline_send, readdress
from app.credentials.passwords import generate_password
from app.db.models import CredentialDelivery, Person
from app.logging_setup import get_logger
from app.settings import Settings
from sofia_sync.normalize import mask_email, username
from sofia_sync.person import PersonRecord
from sofia_sync.planner import (
    Action,
    CreateAccount,
    LeaveExcluded,
    LeaveSuspended,
    ReactivateAccount,
    RefuseForeignAccount,
    SuspendAccount,
    UpdateAccount,
    plan,
    plan_groups,
    to_new_user,
)
from sofia_sync.policy import DesiredAccount, desired_account, staff_suspension
from workspace.errors import AlreadyExists, NotReady
from workspace.models import WorkspaceUser
from workspace.ports import Directory

log = get_logger(__name__)


@dataclass(frozen=True)
class Outcome:
    action: str
    detail: str = ""


class OrgUnitCache:
    """Org units known to exist, so each is checked once per process, not once per account."""

    def __init__(self, directory: Directory) -> None:
        self._directory = directory
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def ensure(self, path: str) -> None:
        with self._lock:
            if path in self._known:
                return
        self._directory.ensure_org_unit(path)
        with self._lock:
            self._known.add(path)


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


class _RefusedError(Exception):
    """Control flow inside this module: the plan found an account misena must not touch —
    someone else's (``conflict``) or one the configuration excludes (``excluded``)."""

    def __init__(self, reason: str, status: str = "conflict") -> None:
        super().__init__(reason)
        self.reason, self.status = reason, status


class Reconciler:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        directory: Directory,
        courier: Courier,
        brake: SuspensionBrake,
        clock: Clock,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._directory = directory
        self._courier = courier
        self._brake = brake
        self._clock = clock
        self._org_units = OrgUnitCache(directory)
        self._groups = FichaGroups(directory)
        self._recovery = recovery.AccountRecovery(directory, sessions, self._org_units.ensure, clock)

    def reconcile(self, person_id: int) -> Outcome:
        known = self._load(person_id)
        if known is None:
            return Outcome("skipped", "person not found")
        if known.excluded:
            return Outcome("excluded", "excluded from misena's management by IT staff")
        staff = staff_suspension(known.staff_suspended, known.staff_reason)
        desired = desired_account(known.record, self._settings.policy, self._clock(), staff=staff)
        if desired is None:
            self._remember(person_id, review_at=None)
            return Outcome("none", "no role or enrollment warrants an account")
        restoration: recovery.Restoration | None = None
        restore_tried = False
        for _ in range(2):
            actual = self._find(known, desired)
            if actual is None and known.google_user_id is not None and not restore_tried:
                # The account misena recorded is gone: deleted in Google. Restore it first.
                restore_tried = True
                restoration = self._recovery.restore(person_id, known.google_user_id, desired.org_unit_path)
                actual = restoration.account if restoration is not None else None
            try:
                return self._apply(person_id, known, desired, actual, restoration)
            except AlreadyExists:
                # Created by an earlier attempt whose answer was lost, or someone else's:
                # read it and plan again (adopt or refuse) — never a failure, never a second.
                continue
            except _RefusedError as refused:
                return self._refuse(person_id, refused.reason, refused.status)
        raise NotReady("the account exists but cannot be read yet", status=409)

    def _load(self, person_id: int) -> Known | None:
        with self._sessions() as session:
            person = session.get(Person, person_id)
            if person is None:
                return None
            return Known(
                record=PersonRecord.model_validate(person.record),
                google_user_id=person.google_user_id,
                suspended_by_misena=person.suspended_by_misena,
                group_memberships=person.group_memberships,
                excluded=person.excluded,
                staff_suspended=person.staff_suspended,
                staff_reason=person.staff_reason,
            )

    def _find(self, known: Known, desired: DesiredAccount) -> WorkspaceUser | None:
        """By recorded id, then by the wanted address, then by former documents' addresses."""
        if known.google_user_id is not None:
            found = self._directory.get_user(known.google_user_id)
            if found is not None:
                return found
        found = self._directory.get_user(desired.primary_email)
        if found is not None:
            return found
        domain = self._settings.policy.domain
        for _, number in sorted(desired.former_documents):
            found = self._directory.get_user(username(number, domain))
            if found is not None:
                return found
        return None

    def _apply(
        self,
        person_id: int,
        known: Known,
        desired: DesiredAccount,
        actual: WorkspaceUser | None,
        restoration: recovery.Restoration | None = None,
    ) -> Outcome:
        actions = plan(desired, actual, we_suspended=known.suspended_by_misena)
        if not actions and actual is None:
            gone = (
                {"status_reason": f"{recovery.GONE_REASON}: {desired.standing_reason}"}
                if known.google_user_id
                else {}
            )
            self._remember(person_id, review_at=desired.review_at, **gone)
            return Outcome("none", f"no account created: {desired.standing_reason}")
        account = actual
        done: list[str] = ["restored"] if restoration is not None else []
        suspension: dict[str, Any] = {}
        for action in actions:
            if isinstance(action, RefuseForeignAccount | LeaveExcluded):
                raise _RefusedError(
                    action.reason, "excluded" if isinstance(action, LeaveExcluded) else "conflict"
                )
            if isinstance(action, CreateAccount):
                account, requested = self._create(person_id, action.desired)
                done.append("recreated" if requested == "account_recreated" else "created")
            else:
                account = self._change(account, action, known, person_id, done, suspension)
        if not desired.suspended and self._brake.settle(person_id, ending=desired.review_at is not None):
            suspension.setdefault("status_reason", None)  # the held suspension's reason is over
        assert account is not None  # noqa: S101 - a plan without a create needs an account
        if desired.suspended and account.suspended and known.suspended_by_misena and not suspension:
            # Still suspended by misena, maybe for another reason now (IT staff lifted theirs).
            reason = desired.standing_reason
            suspension.update(suspension_reason=reason, status_reason=reason, account_status="suspended")
        applied = recovery.memberships_to_plan(
            known.group_memberships,
            recorded_id=known.google_user_id,
            account=account,
            restored=bool(restoration),
        )
        memberships = self._sync_groups(desired, account, applied, done)
        requested = self._record_account(
            person_id, account, review_at=desired.review_at, memberships=memberships, **suspension
        )
        if requested is not None or (restoration is not None and restoration.owes_credentials):
            # Adopted (an earlier attempt created it and its answer was lost), replaced, or
            # restored for a person never sent its credentials: nobody knows its password.
            done.append(f"credentials {self._deliver_now(person_id, None)}")
        # The first step names the outcome (a metric label); the detail lists every step.
        return Outcome(done[0].split(":")[0] if done else "unchanged", "; ".join(done))

    def _change(
        self,
        account: WorkspaceUser | None,
        action: Action,
        known: Known,
        person_id: int,
        done: list[str],
        suspension: dict[str, Any],
    ) -> WorkspaceUser | None:
        """One action on an existing account; returns the account as Google now has it."""
        if isinstance(action, UpdateAccount):
            done.append("updated: " + ", ".join(action.reasons))
            return self._update(action)
        if isinstance(action, SuspendAccount):
            if known.staff_suspended:  # a person's decision, not a feed's: no brake
                return self._apply_suspension(action, done, suspension, staff=True)
            return self._suspend(person_id, account, action, done, suspension)
        if isinstance(action, ReactivateAccount):
            done.append("reactivated")
            suspension.update(
                suspended_by_misena=False, suspension_reason=None, account_status="active", status_reason=None
            )
            return self._directory.set_suspended(action.user_key, False)
        if isinstance(action, LeaveSuspended):
            done.append(action.reason)
            suspension.update(account_status="suspended_outside", status_reason=action.reason)
        return account

    def _update(self, action: UpdateAccount) -> WorkspaceUser:
        self._org_units.ensure(action.changes.org_unit_path or "/")
        try:
            return self._directory.update_user(action.primary_email, action.changes)
        except AlreadyExists as exc:
            if action.changes.primary_email is None:
                raise
            raise _RefusedError("the new address (document change) is held by another account") from exc

    def _suspend(
        self,
        person_id: int,
        account: WorkspaceUser | None,
        action: SuspendAccount,
        done: list[str],
        suspension: dict[str, Any],
    ) -> WorkspaceUser | None:
        decision = self._brake.request(person_id, action.reason)
        if decision is Decision.HELD:
            done.append("suspension held by the circuit breaker")
            suspension.update(status_reason=f"suspension held for IT staff: {action.reason}")
            return account
        if decision is Decision.DISCARDED:
            done.append("suspension discarded by IT staff")
            suspension.update(status_reason=f"suspension discarded by IT staff: {action.reason}")
            return account
        return self._apply_suspension(action, done, suspension)

    def _apply_suspension(
        self, action: SuspendAccount, done: list[str], suspension: dict[str, Any], *, staff: bool = False
    ) -> WorkspaceUser:
        suspended = self._directory.set_suspended(action.user_key, True)
        # IT staff's reason is free text that may name the person: it lives in the audit
        # trail and the database, never in the logs. Lifecycle reasons are misena's own words.
        reason = "by IT staff (see the audit trail)" if staff else action.reason
        log.info("account_suspended", account=mask_email(suspended.primary_email), reason=reason)
        done.append("suspended")
        suspension.update(
            suspended_by_misena=True,
            suspension_reason=action.reason,
            suspended_at=self._clock(),
            account_status="suspended",
            status_reason=action.reason,
        )
        return suspended

    def _sync_groups(
        self,
        desired: DesiredAccount,
        account: WorkspaceUser,
        applied: dict[str, str] | None,
        done: list[str],
    ) -> dict[str, str]:
        actions = plan_groups(desired, applied)
        if not actions:
            return dict(applied or {})
        done.append(f"{len(actions)} group change(s)")
        return self._groups.apply(actions, account.primary_email, applied)

    def _create(self, person_id: int, desired: DesiredAccount) -> tuple[WorkspaceUser, str | None]:
        self._org_units.ensure(desired.org_unit_path)
        password = generate_password()
        created = self._directory.create_user(to_new_user(desired, password))
        requested = self._record_account(person_id, created, created=True)
        log.info(
            "account_created",
            account=mask_email(created.primary_email),
            org_unit=desired.org_unit_path,
        )
        self._deliver_now(person_id, password)
        return created, requested

    def _deliver_now(self, person_id: int, password: SecretStr | None) -> str:
        """Send now — with the password just set, if any, saving a call. The job queued with
        the delivery request is then removed (it would find nothing to do), or, if the send
        failed, brought forward so that it resends as soon as this reconcile ends."""
        try:
            detail = self._courier.deliver(person_id, password=password).detail
        except Exception as exc:
            log.warning("credentials_deferred", person_id=person_id, error=type(exc).__name__)
            bring_forward(self._sessions, person_id, getattr(exc, "retry_after", None), self._clock())
            return "delivery queued"
        drop_if_idle(self._sessions, person_id)
        return detail

    def _record_account(
        self, person_id: int, user: WorkspaceUser | None, *, created: bool = False, **values: Any
    ) -> str | None:
        """Remember the account. The first time, or when it replaces the account misena had
        recorded, request the credentials and queue their job in the same transaction;
        returns the delivery's reason then (``None`` otherwise)."""
        with self._sessions.begin() as session:
            person = session.get(Person, person_id, with_for_update=True)
            if person is None:
                return None
            if "memberships" in values:
                person.group_memberships = values.pop("memberships")
            if "review_at" in values:
                person.next_review_at = values.pop("review_at")
            for name, value in values.items():
                setattr(person, name, value)
            if user is None:
                return None
            now = self._clock()
            if person.google_user_id not in (None, user.id):
                recovery.note_replacement(session, person, user, now, created=created)
                person.primary_email, person.google_user_id = user.primary_email, user.id
                return "account_recreated"
            person.primary_email = user.primary_email
            person.google_user_id = user.id
            first_time = person.account_status == "pending" and not self._has_delivery(session, person_id)
            if person.account_status in ("conflict", "excluded"):
                person.account_status, person.status_reason = "active", None
            if not first_time:
                readdress(session, person, now)
                return None
            request_delivery(session, person, user.primary_email, "new_account", now)
            queue_behind_inline_send(session, person_id, now)
            return "new_account"

    def _remember(self, person_id: int, **values: Any) -> None:
        self._record_account(person_id, None, **values)

    @staticmethod
    def _has_delivery(session: Session, person_id: int) -> bool:
        found = session.scalars(
            select(CredentialDelivery.id).where(CredentialDelivery.person_id == person_id).limit(1)
        ).first()
        return found is not None

    def _refuse(self, person_id: int, reason: str, status: str) -> Outcome:
        with self._sessions.begin() as session:
            person = session.get(Person, person_id, with_for_update=True)
            if person is not None:
                person.account_status, person.status_reason = status, reason
        log.warning("account_refused", person_id=person_id, status=status, reason=reason)
        return Outcome("refused" if status == "conflict" else status, reason)
