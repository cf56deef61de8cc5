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

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from app.db.models import CredentialDelivery, Job, Person, PersonAlias, Suspension, SuspensionHold
from app.db.states import AccountStatus, JobState
from app.logging_setup import get_logger
from app.people import repository as people
from sofia_sync.person import PersonRecord, merge_records

log = get_logger(__name__)


def rekey(session: Session, person: Person, record: PersonRecord, now: datetime) -> None:
    """Give the row the key of the record's (newest) document, keeping the old key as alias."""
    if person.person_key == record.key:
        return
    holder = people.key_holder(session, record.key)
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
    people.save_record(keep, merge_records(people.record_of(keep), people.record_of(gone)), now)
    if keep.google_user_id is None and gone.google_user_id is not None:
        # The absorbed row's account, with everything misena knows of it, becomes the kept one's.
        people.apply_account(keep, people.account_of(gone))
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
