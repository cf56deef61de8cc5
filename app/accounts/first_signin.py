"""First sign-in tracking: misena learns who actually signed in to the account it made.

Creating the account and emailing a password is not the end: an account nobody signs in to
sits unused while the temporary password expires in an inbox. Google shows a first sign-in on
the user (``lastLoginTime`` leaves the epoch, see :mod:`workspace.sign_in_status`), so on a
schedule misena reads it for the people whose credentials were sent and who have not signed in
yet, and records the moment in ``people.first_signed_in_at``.

Fewest calls: one ``users.list`` page holds 500 users' sign-in fields (masked to four fields),
where a ``users.get`` holds one person's. Pages come in address order, so the listing stops at
the page that passes the last pending address; with nobody pending it makes no call at all.
Every worker process runs the check's loop, but the turn is claimed with one conditional
``UPDATE`` of ``schedule_marks``, so the tenant is read once per interval between them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import CredentialDelivery, Person
from app.db.states import DeliveryStatus
from app.jobs.schedule import claim_turn
from app.logging_setup import get_logger
from workspace.ports import Directory

log = get_logger(__name__)

CHECK_NAME = "first_sign_in_check"


@dataclass(frozen=True)
class CheckResult:
    #: people whose credentials were sent and who had not signed in, before this check
    pending: int
    #: of them, those Google now shows signed in (recorded)
    signed_in: int
    #: ``users.list`` pages read
    pages: int


def pending_addresses(session: Session) -> dict[str, int]:
    """Account address (lower-cased) → person id, for everyone whose credentials were sent and
    who has not been seen signed in."""
    delivered = select(CredentialDelivery.person_id).where(CredentialDelivery.status == DeliveryStatus.SENT)
    rows = session.execute(
        select(Person.primary_email, Person.id).where(
            Person.first_signed_in_at.is_(None),
            Person.primary_email.is_not(None),
            Person.id.in_(delivered),
        )
    )
    return {str(address).lower(): person_id for address, person_id in rows}


def check_first_sign_ins(sessions: sessionmaker[Session], directory: Directory) -> CheckResult:
    """Read the sign-in fields of the pending people and record each first sign-in."""
    with sessions() as session:
        pending = pending_addresses(session)
    if not pending:
        return CheckResult(pending=0, signed_in=0, pages=0)
    last_pending = max(pending)
    seen: dict[int, datetime] = {}
    pages = 0
    for page in directory.iter_sign_in_pages():
        pages += 1
        for status in page:
            person_id = pending.get(status.primary_email)
            if person_id is not None and status.last_login_at is not None:
                seen[person_id] = status.last_login_at
        if not page or page[-1].primary_email >= last_pending:
            break
    if seen:
        with sessions.begin() as session:
            for person_id, moment in seen.items():
                session.execute(
                    update(Person)
                    .where(Person.id == person_id, Person.first_signed_in_at.is_(None))
                    .values(first_signed_in_at=moment)
                )
    result = CheckResult(pending=len(pending), signed_in=len(seen), pages=pages)
    log.info("first_sign_ins_checked", pending=result.pending, signed_in=result.signed_in, pages=pages)
    return result


def run_scheduled_check(
    sessions: sessionmaker[Session], directory: Directory, now: datetime, interval: timedelta
) -> CheckResult | None:
    """The worker's loop body: the check, when this process won the turn (else ``None``)."""
    if not claim_turn(sessions, CHECK_NAME, now, interval):
        return None
    return check_first_sign_ins(sessions, directory)
