"""Suspensions IT staff confirmed in a bulk plan, which the circuit breaker lets through once.

The brake (:mod:`app.accounts.brake`) guards the event path against a feed that "withdraws" everyone.
A bulk plan refused for its suspensions and applied with ``confirm`` equal to their number is
the opposite case: IT staff were shown exactly these suspensions and said yes, so holding them
back again would contradict the preview. Applying such a plan records, in the transaction that
queues each person's reconcile, a pre-release of the suspension that reconcile will make — its
exact reason, worked out as the reconcile works it out (now, or when the grace period ends:
:func:`sofia_sync.policy.coming_suspension`) — with the confirming staff member, the run and an
audit entry. The brake honours it once, for that reason only, and still counts the suspension
in its window, so later event-path suspensions are braked as before. A person who becomes
plainly active again (nothing ending) voids theirs: a later ending is a decision nobody made.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.models import Person, SuspensionApproval
from app.db.states import ApprovalState
from app.people import repository as people
from app.staff.audit import record as audit
from sofia_sync.policy import PolicySettings, coming_suspension, staff_suspension

__all__ = ["has_open", "pre_release", "take", "void"]


def pre_release(
    session: Session, person: Person, policy: PolicySettings, *, actor: str, run_id: int, now: datetime
) -> bool:
    """Approve the suspension the person's reconcile will make (if it still makes one)."""
    record = people.record_of(person)
    staff = staff_suspension(person.staff_suspended, person.staff_reason)
    reason = coming_suspension(record, policy, now, staff=staff)
    if reason is None:  # the record changed since the plan, or it is IT staff's own (no brake)
        return False
    session.add(
        SuspensionApproval(
            person_id=person.id,
            reason=reason,
            run_id=run_id,
            approved_by=actor,
            approved_at=now,
            state=ApprovalState.OPEN,
        )
    )
    audit(session, actor=actor, action="suspension.pre_release", at=now, person_id=person.id,
          target=f"sync:{run_id}", details={"suspension_reason": reason})  # fmt: skip
    return True


def take(session: Session, person_id: int, reason: str, now: datetime) -> bool:
    """Use the person's open approval for ``reason``, if there is one (the brake's caller holds
    the brake's lock, so two workers cannot both use it)."""
    approval = session.scalars(
        select(SuspensionApproval)
        .where(
            SuspensionApproval.person_id == person_id,
            SuspensionApproval.reason == reason,
            SuspensionApproval.state == ApprovalState.OPEN,
        )
        .order_by(SuspensionApproval.id)
        .limit(1)
    ).first()
    if approval is None:
        return False
    approval.state, approval.closed_at = ApprovalState.USED, now
    return True


def has_open(session: Session, person_id: int) -> bool:
    found = session.scalars(
        select(SuspensionApproval.id)
        .where(SuspensionApproval.person_id == person_id, SuspensionApproval.state == ApprovalState.OPEN)
        .limit(1)
    ).first()
    return found is not None


def void(session: Session, person_id: int, now: datetime) -> None:
    session.execute(
        update(SuspensionApproval)
        .where(SuspensionApproval.person_id == person_id, SuspensionApproval.state == ApprovalState.OPEN)
        .values(state=ApprovalState.VOID, closed_at=now)
    )
