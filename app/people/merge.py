"""One person, one row, one account — across document changes.

A minor's TI becomes a CC; a PPT becomes a CE. The person's row takes the new key and keeps
the old one as an alias (``person_aliases``), so an event still arriving under the old
document updates the same record. When Sofia sent events under the new document before it
told us of the change, two rows exist: :func:`absorb` folds the old one into the new one
(records merged field by field by ``occurred_at``, account and history carried over).
Everything here runs inside the webhook's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.db.models import CredentialDelivery, Job, Person, PersonAlias, Suspension, SuspensionHold
from app.db.states import AccountStatus, JobState
from app.logging_setup import get_logger
from app.people.index import index_person
from sofia_sync.person import PersonRecord, merge_records

log = get_logger(__name__)

#: The account-side columns carried from the absorbed row when the kept row has no account.
_ACCOUNT_COLUMNS = (
    "primary_email",
    "google_user_id",
    "account_status",
    "status_reason",
    "suspended_by_misena",
    "suspension_reason",
    "suspended_at",
    "group_memberships",
    "next_review_at",
)


def find_person(session: Session, key: str) -> Person | None:
    """The person under ``key`` or under a former key that is now an alias; row-locked."""
    person = session.scalars(select(Person).where(Person.person_key == key).with_for_update()).one_or_none()
    if person is not None:
        return person
    alias = session.get(PersonAlias, key)
    if alias is None:
        return None
    return session.get(Person, alias.person_id, with_for_update=True)


def rekey(session: Session, person: Person, record: PersonRecord, now: datetime) -> None:
    """Give the row the key of the record's (newest) document, keeping the old key as alias."""
    if person.person_key == record.key:
        return
    holder = session.scalars(select(Person.id).where(Person.person_key == record.key)).first()
    if holder is not None and holder != person.id:
        log.warning("rekey_skipped_key_taken", person_id=person.id, other_person_id=holder)
        return
    old_key = person.person_key
    session.execute(delete(PersonAlias).where(PersonAlias.person_key == record.key))
    session.flush()
    person.person_key = record.key
    person.document_type = record.document_type.value
    person.document_number = record.document_number
    session.add(PersonAlias(person_key=old_key, person_id=person.id, created_at=now))
    session.flush()
    log.info("person_rekeyed", person_id=person.id)


def absorb(session: Session, *, keep: Person, gone: Person, now: datetime) -> None:
    """Fold ``gone`` (the row under the former document) into ``keep``; delete ``gone``."""
    merged = merge_records(PersonRecord.model_validate(keep.record), PersonRecord.model_validate(gone.record))
    keep.record = merged.model_dump(mode="json")
    keep.updated_at = now
    index_person(keep, merged)
    if keep.google_user_id is None and gone.google_user_id is not None:
        for column in _ACCOUNT_COLUMNS:
            setattr(keep, column, getattr(gone, column))
    elif keep.google_user_id is not None and gone.google_user_id is not None:
        keep.account_status = AccountStatus.CONFLICT
        keep.status_reason = (
            "two accounts: one was created under the new document before Sofia Plus reported the "
            "document change; IT staff must choose which to keep"
        )
        log.warning("two_accounts_for_one_person", person_id=keep.id, other_person_id=gone.id)
    _move_history(session, keep.id, gone.id)
    gone_key = gone.person_key
    session.delete(gone)
    session.flush()
    session.add(PersonAlias(person_key=gone_key, person_id=keep.id, created_at=now))
    log.info("person_merged", person_id=keep.id, merged_person_id=gone.id)


def _move_history(session: Session, keep_id: int, gone_id: int) -> None:
    """Deliveries, suspensions, holds, aliases and finished jobs follow the person; the
    absorbed row's pending jobs are dropped (the kept person gets a reconcile of its own)."""
    session.execute(delete(Job).where(Job.person_id == gone_id, Job.state == JobState.PENDING))
    for model in (CredentialDelivery, Suspension, SuspensionHold, PersonAlias, Job):
        session.execute(
            update(model).where(model.person_id == gone_id).values(person_id=keep_id),
            execution_options={"synchronize_session": False},
        )
    session.flush()
