"""Reconcile one person: desired (policy at this instant) vs actual (Google) → actions → apply.

Level-triggered and idempotent: whatever events, retries or crashes came before, running this
again converges on the same account. The only non-idempotent effect, sending credentials, is
recorded in the database in the same transaction that records the account's creation.

The account is found by the Google id misena recorded (robust to renames by anyone), else by
the address the person should have, else by the addresses of their former documents — so a
TI → CC change renames the one account instead of creating a second. An account misena
recorded that is gone from Google (deleted by an admin) is restored, or else created again
with fresh credentials (:mod:`app.accounts.recovery`). Suspensions go through the circuit
breaker (:mod:`app.accounts.brake`); ficha groups through :mod:`app.accounts.ficha_groups`; org
units are written into first (:mod:`app.accounts.org_units`). The account wanted is decided as
the bulk plan decides it (:mod:`app.accounts.account_decision`). An existing account is read
once and written at most once: its field changes and its suspension or reactivation go in one
``users.update``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts import recovery
from app.accounts.account_decision import Known, creates_first, decision_for
from app.accounts.account_work import Patch, RefusedError, credentials_owed, decide_work, replaces
from app.accounts.brake import SuspensionBrake
from app.accounts.ficha_groups import FichaGroups
from app.accounts.org_units import OrgUnits
from app.clock import Clock
from app.credentials.delivery import Courier, request_delivery
from app.credentials.delivery_jobs import bring_forward, drop_if_idle, queue_behind_inline_send, readdress
from app.credentials.passwords import generate_password
from app.db.models import CredentialDelivery
from app.db.states import AccountStatus, DeliveryReason
from app.logging_setup import get_logger
from app.people import repository as people
from app.people.repository import AccountUpdate
from app.settings import Settings
from sofia_sync.account_lookup import find_account
from sofia_sync.normalize import mask_email
from sofia_sync.planner import (
    plan,
    plan_groups,
    to_new_user,
)
from sofia_sync.policy import AccountDecision, DesiredAccount, LeftAlone, NoAccount
from workspace.errors import AlreadyExists, NotReady
from workspace.models import WorkspaceUser
from workspace.ports import Directory

log = get_logger(__name__)
#: A ``users.get``: a Google id or an address → the account (``None``: not there).
Lookup = Callable[[str], WorkspaceUser | None]


@dataclass(frozen=True)
class Outcome:
    action: str
    detail: str = ""


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
        self._org_units = OrgUnits(directory)
        self._groups = FichaGroups(directory)
        self._recovery = recovery.AccountRecovery(directory, sessions, self._org_units.ensure, clock)

    def reconcile(self, person_id: int) -> Outcome:
        known = self.load(person_id)
        if known is None:
            return Outcome("skipped", "person not found")
        desired = self.decide(known)
        if isinstance(desired, LeftAlone):
            return Outcome("excluded", "excluded from misena's management by IT staff")
        if isinstance(desired, NoAccount):
            self._remember(person_id, AccountUpdate(next_review_at=None))
            return Outcome("none", "no role or enrollment warrants an account")
        restoration: recovery.Restoration | None = None
        restore_tried = False
        for attempt in range(2):
            first_try_creates = attempt == 0 and creates_first(known, desired)
            actual = None if first_try_creates else self.find(known, desired)
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
            except RefusedError as refused:
                return self._refuse(person_id, refused.reason, refused.status)
        raise NotReady("the account exists but cannot be read yet", status=409)

    def load(self, person_id: int) -> Known | None:
        """What misena knows of the person's account before a run; ``None``: no such person."""
        with self._sessions() as session:
            person = people.get(session, person_id)
            if person is None:
                return None
            return Known(
                record=people.record_of(person),
                google_user_id=person.google_user_id,
                suspended_by_misena=person.suspended_by_misena,
                group_memberships=person.group_memberships,
                excluded=person.excluded,
                staff_suspended=person.staff_suspended,
                staff_reason=person.staff_reason,
                account_status=person.account_status,
            )

    def find(
        self, known: Known, desired: DesiredAccount, lookup: Lookup | None = None
    ) -> WorkspaceUser | None:
        """As the bulk plan finds it: :func:`~sofia_sync.account_lookup.find_account`, asking
        Google (through ``lookup``, a ``users.get``, when an explanation records its reads)."""
        domain = self._settings.policy.domain
        return find_account(lookup or self._directory.get_user, desired, known.google_user_id, domain)

    def decide(self, known: Known) -> AccountDecision:
        """The account wanted now (:func:`~app.accounts.account_decision.decision_for`)."""
        return decision_for(known, self._settings.policy, self._clock())

    @property
    def groups(self) -> FichaGroups:
        return self._groups

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
            remembered = AccountUpdate(next_review_at=desired.review_at)
            if known.google_user_id:
                gone = f"{recovery.GONE_REASON}: {desired.standing_reason}"
                remembered = remembered.then(AccountUpdate(status_reason=gone))
            self._remember(person_id, remembered)
            return Outcome("none", f"no account created: {desired.standing_reason}")
        work = decide_work(actions, known, person_id, self._brake.request, self._clock)
        account = actual
        done: list[str] = ["restored"] if restoration is not None else []
        if work.create is not None:
            account, requested = self._create(person_id, work.create)
            done.append("recreated" if requested == DeliveryReason.ACCOUNT_RECREATED else "created")
        done.extend(work.done)
        suspension = work.suspension
        if work.patch.key is not None:
            account = self._write(work.patch.key, work.patch)
        if not desired.suspended and self._brake.settle(person_id, ending=desired.review_at is not None):
            # The held suspension's reason is over, unless this reconcile gave another.
            suspension = AccountUpdate(status_reason=None).then(suspension)
        assert account is not None  # noqa: S101 - a plan without a create needs an account
        if desired.suspended and account.suspended and known.suspended_by_misena and not suspension.given():
            # Still suspended by misena, maybe for another reason now (IT staff lifted theirs).
            reason = desired.standing_reason
            suspension = AccountUpdate(
                suspension_reason=reason, status_reason=reason, account_status=AccountStatus.SUSPENDED
            )
        applied = recovery.memberships_to_plan(
            known.group_memberships,
            recorded_id=known.google_user_id,
            account=account,
            restored=bool(restoration),
        )
        memberships = self._sync_groups(desired, account, applied, done)
        written = suspension.then(
            AccountUpdate(next_review_at=desired.review_at, group_memberships=memberships)
        )
        requested = self._record_account(person_id, account, written)
        if requested is not None or (restoration is not None and restoration.owes_credentials):
            # Adopted (an earlier attempt created it and its answer was lost), replaced, or
            # restored for a person never sent its credentials: nobody knows its password.
            done.append(f"credentials {self._deliver_now(person_id, None)}")
        # The first step names the outcome (a metric label); the detail lists every step.
        return Outcome(done[0].split(":")[0] if done else "unchanged", "; ".join(done))

    def _write(self, key: str, patch: Patch) -> WorkspaceUser:
        """The patch in one ``users.update`` of the account ``key``; returns the account as
        Google now has it."""
        changes = patch.changes
        try:
            written = self._org_units.write_into(
                changes.org_unit_path, lambda: self._directory.update_user(key, changes)
            )
        except AlreadyExists as exc:
            if changes.primary_email is None:
                raise
            raise RefusedError("the new address (document change) is held by another account") from exc
        if patch.suspension_logged is not None:
            log.info(
                "account_suspended", account=mask_email(written.primary_email), reason=patch.suspension_logged
            )
        return written

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

    def _create(self, person_id: int, desired: DesiredAccount) -> tuple[WorkspaceUser, DeliveryReason | None]:
        password = generate_password()
        new_user = to_new_user(desired, password)
        created = self._org_units.write_into(
            desired.org_unit_path, lambda: self._directory.create_user(new_user)
        )
        requested = self._record_account(person_id, created, AccountUpdate(), created=True)
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
        self, person_id: int, user: WorkspaceUser | None, update: AccountUpdate, *, created: bool = False
    ) -> DeliveryReason | None:
        """Remember the account: ``update``, then ``user``'s address and id. The first time,
        or when it replaces the account misena had recorded, request the credentials and
        queue their job in the same transaction; returns the delivery's reason then (``None``
        otherwise)."""
        with self._sessions.begin() as session:
            person = people.lock(session, person_id)
            if person is None:
                return None
            people.apply_account(person, update)
            if user is None:
                return None
            now = self._clock()
            found = AccountUpdate(primary_email=user.primary_email, google_user_id=user.id)
            recorded = person.google_user_id
            if replaces(recorded, user.id):
                recovery.note_replacement(session, person, user, now, created=created)
                people.apply_account(person, found)
                return DeliveryReason.ACCOUNT_RECREATED
            people.apply_account(person, found)
            if created:
                recovery.note_creation(session, person_id, user, now)
            first_time = credentials_owed(
                recorded, user.id, person.account_status, lambda: has_delivery(session, person_id)
            )
            if person.account_status in (AccountStatus.CONFLICT, AccountStatus.EXCLUDED):
                people.apply_account(
                    person, AccountUpdate(account_status=AccountStatus.ACTIVE, status_reason=None)
                )
            if not first_time:
                readdress(session, person, now)
                return None
            request_delivery(session, person, user.primary_email, DeliveryReason.NEW_ACCOUNT, now)
            queue_behind_inline_send(session, person_id, now)
            return DeliveryReason.NEW_ACCOUNT

    def _remember(self, person_id: int, update: AccountUpdate) -> None:
        self._record_account(person_id, None, update)

    def _refuse(self, person_id: int, reason: str, status: AccountStatus) -> Outcome:
        with self._sessions.begin() as session:
            person = people.lock(session, person_id)
            if person is not None:
                people.apply_account(person, AccountUpdate(account_status=status, status_reason=reason))
        log.warning("account_refused", person_id=person_id, status=status, reason=reason)
        return Outcome("refused" if status == AccountStatus.CONFLICT else status, reason)


def has_delivery(session: Session, person_id: int) -> bool:
    """Whether the person was ever sent (or is owed) credentials."""
    found = session.scalars(
        select(CredentialDelivery.id).where(CredentialDelivery.person_id == person_id).limit(1)
    ).first()
    return found is not None
