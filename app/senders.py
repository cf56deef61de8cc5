"""The pool of Gmail sender mailboxes and their daily budgets, kept in the database.

Counting in the database (not in memory) is what keeps several workers and replicas under
Gmail's per-sender daily limit together. A slot is reserved with one conditional UPDATE, so two
workers can never both take the last one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.models import SenderUsage


def _ensure_rows(session: Session, senders: Sequence[str], day: date) -> None:
    existing = set(
        session.scalars(
            select(SenderUsage.sender).where(SenderUsage.day == day, SenderUsage.sender.in_(senders))
        )
    )
    for sender in senders:
        if sender not in existing:
            session.add(SenderUsage(sender=sender, day=day, sent=0))
    session.flush()


def reserve_sender(session: Session, senders: Sequence[str], budget: int, day: date) -> str | None:
    """The least-used sender with room today, with one send counted; ``None`` if all are full."""
    _ensure_rows(session, senders, day)
    usage = session.execute(
        select(SenderUsage.sender, SenderUsage.sent)
        .where(SenderUsage.day == day, SenderUsage.sender.in_(senders), SenderUsage.sent < budget)
        .order_by(SenderUsage.sent, SenderUsage.sender)
    ).all()
    for sender, _ in usage:
        taken = session.execute(
            update(SenderUsage)
            .where(SenderUsage.sender == sender, SenderUsage.day == day, SenderUsage.sent < budget)
            .values(sent=SenderUsage.sent + 1)
        )
        if getattr(taken, "rowcount", 0) == 1:
            return str(sender)
    return None


def exhaust_sender(session: Session, sender: str, budget: int, day: date) -> None:
    """Gmail said this sender is out for the day: stop choosing it until tomorrow."""
    session.execute(
        update(SenderUsage).where(SenderUsage.sender == sender, SenderUsage.day == day).values(sent=budget)
    )
