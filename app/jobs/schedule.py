"""Tenant-wide scheduled tasks run once per interval among several worker processes: each
process's loop asks for the turn, and the first to move the task's mark in ``schedule_marks``
past the interval (one conditional ``UPDATE``) runs it; the others find it moved."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import ScheduleMark


def claim_turn(sessions: sessionmaker[Session], name: str, now: datetime, interval: timedelta) -> bool:
    """Whether this process runs task ``name`` now (its mark row is made by a migration)."""
    with sessions.begin() as session:
        claimed = session.execute(
            update(ScheduleMark)
            .where(ScheduleMark.name == name, ScheduleMark.ran_at <= now - interval)
            .values(ran_at=now)
        )
        return bool(getattr(claimed, "rowcount", 0) == 1)
