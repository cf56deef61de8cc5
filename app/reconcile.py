"""Reconcile one person: desired (policy) vs actual (Google) → actions → apply.

Level-triggered and idempotent: whatever events, retries or crashes came before, running this
again converges on the same account. The only non-idempotent effect, sending credentials, is
recorded in the database in the same transaction that records the account's creation.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import CredentialDelivery, Person
from app.delivery import DELIVER, Courier, request_delivery
from app.logging_setup import get_logger
from app.passwords import generate_password
from app.queue import enqueue, utcnow
from app.settings import Settings
from sofia_sync.normalize import mask_email
from sofia_sync.person import PersonRecord
from sofia_sync.planner import CreateAccount, RefuseForeignAccount, UpdateAccount, plan, to_new_user
from sofia_sync.policy import DesiredAccount, desired_account
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


class Reconciler:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        directory: Directory,
        courier: Courier,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._directory = directory
        self._courier = courier
        self._org_units = OrgUnitCache(directory)

    def reconcile(self, person_id: int) -> Outcome:
        with self._sessions() as session:
            person = session.get(Person, person_id)
            if person is None:
                return Outcome("skipped", "person not found")
            record = PersonRecord.model_validate(person.record)
        desired = desired_account(record, self._settings.policy)
        if desired is None:
            return Outcome("none", "no role or enrollment warrants an account")
        for _ in range(2):
            actual = self._directory.get_user(desired.primary_email)
            try:
                return self._apply(person_id, desired, actual)
            except AlreadyExists:
                # Created by an earlier attempt whose answer was lost, or someone else's:
                # read it and plan again (adopt or refuse) — never a failure, never a second.
                continue
        raise NotReady("the account exists but cannot be read yet", status=409)

    def _apply(self, person_id: int, desired: DesiredAccount, actual: WorkspaceUser | None) -> Outcome:
        for action in plan(desired, actual):
            if isinstance(action, CreateAccount):
                return self._create(person_id, action.desired)
            if isinstance(action, RefuseForeignAccount):
                return self._refuse(person_id, action.reason)
            if isinstance(action, UpdateAccount):
                self._org_units.ensure(action.changes.org_unit_path or "/")
                updated = self._directory.update_user(action.primary_email, action.changes)
                self._record_account(person_id, updated)
                return Outcome("updated", ", ".join(action.reasons))
        assert actual is not None  # noqa: S101 - an empty plan means the account exists
        self._record_account(person_id, actual)
        return Outcome("unchanged")

    def _create(self, person_id: int, desired: DesiredAccount) -> Outcome:
        self._org_units.ensure(desired.org_unit_path)
        password = generate_password()
        created = self._directory.create_user(to_new_user(desired, password))
        self._record_account(person_id, created)
        log.info(
            "account_created",
            account=mask_email(created.primary_email),
            org_unit=desired.org_unit_path,
        )
        result = self._deliver_now(person_id, password)
        return Outcome("created", result)

    def _deliver_now(self, person_id: int, password: SecretStr) -> str:
        """Send with the password just set, saving a call; on failure the queued job resends."""
        try:
            return self._courier.deliver(person_id, password=password).detail
        except Exception as exc:
            log.warning("credentials_deferred", person_id=person_id, error=type(exc).__name__)
            return "delivery queued"

    def _record_account(self, person_id: int, user: WorkspaceUser) -> None:
        """Remember the account; the first time, queue the credentials in the same transaction."""
        with self._sessions.begin() as session:
            person = session.get(Person, person_id, with_for_update=True)
            if person is None:
                return
            person.primary_email = user.primary_email
            person.google_user_id = user.id
            first_time = person.account_status == "pending" and not self._has_delivery(session, person_id)
            if person.account_status == "conflict":
                person.account_status, person.status_reason = "active", None
            if first_time:
                now = utcnow()
                request_delivery(session, person, user.primary_email, "new_account", now)
                enqueue(session, DELIVER, person_id, now=now)

    @staticmethod
    def _has_delivery(session: Session, person_id: int) -> bool:
        found = session.scalars(
            select(CredentialDelivery.id).where(CredentialDelivery.person_id == person_id).limit(1)
        ).first()
        return found is not None

    def _refuse(self, person_id: int, reason: str) -> Outcome:
        with self._sessions.begin() as session:
            person = session.get(Person, person_id, with_for_update=True)
            if person is not None:
                person.account_status, person.status_reason = "conflict", reason
        log.warning("account_refused", person_id=person_id, reason=reason)
        return Outcome("refused", reason)
