"""When the account misena recorded is gone from Google (an admin deleted it).

Google keeps a deleted user about 20 days. Within them the account is restored — same id,
same password and mailbox, so no new email — into the org unit the person should be in now,
and the reconcile's normal plan continues on it (an update, a suspension...). If the person
never received that account's credentials, their delivery still goes out.

Past the 20 days, or when its address went to someone else meanwhile, the reconcile creates
the account again, and :func:`note_replacement` makes sure a new account always comes with
fresh credentials: the person must never hold an account whose password they never received.
That holds however the new account was found — created now, or created by an attempt whose
answer was lost and adopted afterwards — because it is keyed on the recorded Google id
changing, which is recorded in the same transaction as the delivery request.

Both are audited (actor ``misena``), logged with the address masked, and shown in the
person's ``status_reason``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.clock import Clock
from app.credentials.delivery import OPEN, request_delivery
from app.credentials.delivery_jobs import queue_behind_inline_send
from app.db.models import CredentialDelivery, Person
from app.db.states import AccountStatus, DeliveryReason, DeliveryStatus
from app.logging_setup import get_logger
from app.people import repository as people
from app.people.repository import AccountUpdate
from app.staff.audit import SYSTEM_ACTOR
from app.staff.audit import record as audit
from sofia_sync.normalize import mask_email
from workspace.errors import AlreadyExists, NotFound, NotReady
from workspace.models import DeletedUser, WorkspaceUser
from workspace.ports import Directory

log = get_logger(__name__)

ACTOR = SYSTEM_ACTOR
RESTORED = "account.restored"
RECREATED = "account.recreated"
#: An account misena created for a person Sofia Plus enrolled or made an instructor.
CREATED = "account.create"
RESTORED_REASON = "restored by misena after it was deleted in Google"
RECREATED_REASON = (
    "recreated by misena after the account was deleted in Google and could not be restored; "
    "fresh credentials go to the personal email"
)
#: The recorded account is gone for good and none is created now (the person should be
#: suspended): the reason follows, so IT staff see why the person has no account.
GONE_REASON = "deleted in Google and no longer restorable; not recreated"


@dataclass(frozen=True)
class Restoration:
    account: WorkspaceUser
    #: The person has never been sent this account's credentials: the reconcile sends them.
    owes_credentials: bool


class AccountRecovery:
    def __init__(
        self,
        directory: Directory,
        sessions: sessionmaker[Session],
        ensure_org_unit: Callable[[str], None],
        clock: Clock,
    ) -> None:
        self._directory = directory
        self._sessions = sessions
        self._ensure_org_unit = ensure_org_unit
        self._clock = clock

    def restore(self, person_id: int, user_id: str, org_unit_path: str) -> Restoration | None:
        """The recorded account, restored into ``org_unit_path``; ``None`` when Google no
        longer keeps it (purged) or cannot give it back (its address is someone else's)."""
        deleted = self._directory.find_deleted_user(user_id=user_id)
        if deleted is None:
            return None
        self._ensure_org_unit(org_unit_path)
        try:
            self._directory.undelete_user(user_id, org_unit_path)
        except AlreadyExists:
            log.warning(
                "account_not_restorable", account=mask_email(deleted.primary_email), reason="address taken"
            )
            return None
        except NotFound:
            # Restored meanwhile — by our own earlier attempt whose answer was lost, or by an
            # admin: if it is back, it is restored; if not, it was purged a moment ago.
            account = self._directory.get_user(user_id)
            if account is None:
                return None
            return Restoration(account, self._record(person_id, deleted, org_unit_path))
        # Recorded before reading it back, so a read that fails cannot lose the audit entry.
        owes = self._record(person_id, deleted, org_unit_path)
        account = self._directory.get_user(user_id)
        if account is None:
            raise NotReady("the restored account cannot be read yet", status=404)
        return Restoration(account, owes)

    def _record(self, person_id: int, deleted: DeletedUser, org_unit_path: str) -> bool:
        now = self._clock()
        with self._sessions.begin() as session:
            person = people.lock(session, person_id)
            if person is None:
                return False
            people.apply_account(person, AccountUpdate(status_reason=RESTORED_REASON))
            audit(
                session,
                actor=ACTOR,
                action=RESTORED,
                at=now,
                person_id=person_id,
                target=deleted.primary_email,
                reason="the account was deleted in Google",
                details={
                    "google_user_id": deleted.id,
                    "deleted_at": deleted.deletion_time,
                    "org_unit_path": org_unit_path,
                },
            )
            owes = _owe_credentials(session, person, deleted.primary_email, now)
        log.info("account_restored", account=mask_email(deleted.primary_email), org_unit=org_unit_path)
        return owes


def _owe_credentials(session: Session, person: Person, account_email: str, now: datetime) -> bool:
    """A restored account keeps its password: only a person never sent it gets credentials —
    the delivery still open (its job may have died on the deleted account), or a new one."""
    sent = session.scalars(
        select(CredentialDelivery.id)
        .where(CredentialDelivery.person_id == person.id, CredentialDelivery.status == DeliveryStatus.SENT)
        .limit(1)
    ).first()
    if sent is not None:
        return False
    still_open = session.scalars(
        select(CredentialDelivery.id)
        .where(CredentialDelivery.person_id == person.id, CredentialDelivery.status.in_(OPEN))
        .limit(1)
    ).first()
    if still_open is None:
        request_delivery(session, person, account_email, DeliveryReason.ACCOUNT_RESTORED, now)
    queue_behind_inline_send(session, person.id, now)
    return True


def note_replacement(
    session: Session, person: Person, account: WorkspaceUser, now: datetime, *, created: bool
) -> None:
    """The recorded account is gone and ``account`` is the person's now (in the caller's
    transaction, before the new id is recorded): fresh credentials, audit, status.

    Older open deliveries are superseded: they were for the account that is gone.
    """
    previous = person.google_user_id
    session.execute(
        update(CredentialDelivery)
        .where(CredentialDelivery.person_id == person.id, CredentialDelivery.status.in_(OPEN))
        .values(status=DeliveryStatus.SUPERSEDED)
    )
    replaced = AccountUpdate(
        account_status=AccountStatus.ACTIVE,
        status_reason=RECREATED_REASON,
        suspended_by_misena=False,
        suspension_reason=None,
        suspended_at=None,
        group_memberships=None,  # a new account is in no group yet
    )
    people.apply_account(person, replaced)
    delivery = request_delivery(session, person, account.primary_email, DeliveryReason.ACCOUNT_RECREATED, now)
    session.flush()
    queue_behind_inline_send(session, person.id, now)
    audit(
        session,
        actor=ACTOR,
        action=RECREATED,
        at=now,
        person_id=person.id,
        target=account.primary_email,
        reason="the account was deleted in Google and could not be restored",
        details={
            "previous_google_user_id": previous,
            "google_user_id": account.id,
            "created_by_misena": created,
            "delivery_id": delivery.id,
        },
    )
    log.warning("account_recreated", account=mask_email(account.primary_email), created_by_misena=created)


def memberships_to_plan(
    recorded: dict[str, str] | None, *, recorded_id: str | None, account: WorkspaceUser, restored: bool
) -> dict[str, str] | None:
    """The ficha memberships to plan against (see ``plan_groups``). A new account — created
    now, or adopted in place of the recorded one — is in no group yet: ``None`` joins every
    desired group. A restored one may or may not have its memberships back: every desired
    group is joined again (joining is idempotent), and recorded ones no longer desired are
    still left."""
    if account.id != recorded_id:
        return None
    if restored:
        return dict.fromkeys(recorded or {}, "")  # no role recorded: each is joined again
    return recorded


def note_creation(session: Session, person_id: int, user: WorkspaceUser, now: datetime) -> None:
    """The audit entry of an account misena created by itself, in the transaction that records
    it: IT staff see automatic creations in ``GET /v1/audit-events`` beside their own actions.

    The person is named in ``details``, not by the ``person_id`` foreign key: the trail is
    append-only, and a person created under a new document before Sofia Plus reported the
    change is later folded into the older row and deleted (:func:`app.people.merge.absorb`),
    which an entry pointing at the row would forbid."""
    audit(
        session,
        actor=ACTOR,
        action=CREATED,
        at=now,
        target=user.primary_email,
        reason="enrolled in Sofia Plus",
        details={"person_id": person_id, "org_unit": user.org_unit_path, "google_user_id": user.id},
    )
