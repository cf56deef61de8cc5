"""Migration 0006 on both stores: the per-day sender counts become sends over a rolling 24
hours without freeing a slot earlier than Gmail does, and the downgrade gives counts back."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from alembic import command
from sqlalchemy import Engine, text

from app.credentials.senders import NoCapacity, Reservation, SenderPool
from app.db.engine import make_engine, session_factory
from app.db.migrate import alembic_config, current_revision, head_revision, upgrade
from tests.support.databases import database_url

__all__ = ["database_url"]

BEFORE = "0005_sync_runs"
S1, S2 = "uno@misena.edu.co", "dos@misena.edu.co"


def migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_daily_counts_carry_over_as_sends_that_free_no_slot_early(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine, BEFORE)
        today = datetime.now(UTC).date()
        usage = [(S1, today, 7), (S1, today - timedelta(days=1), 3), (S2, today - timedelta(days=3), 50)]
        with engine.begin() as connection:
            for sender, day, sent in usage:
                connection.execute(
                    text("INSERT INTO sender_usage (sender, day, sent) VALUES (:s, :d, :n)"),
                    {"s": sender, "d": day, "n": sent},
                )
        before_upgrade = datetime.now(UTC)
        upgrade(engine)
        assert current_revision(engine) == head_revision()

        sessions = session_factory(engine)
        with sessions.begin() as session:
            full = SenderPool((S1,), 10, max_rest_seconds=30).reserve(session, datetime.now(UTC))
            assert isinstance(full, NoCapacity), "today's 7 and yesterday's 3 still count"
            # Yesterday's sends may have happened until midnight: counted from then, 24 h on.
            midnight = datetime.combine(today, time(), UTC)
            assert full.until == midnight + timedelta(hours=24)
            taken = SenderPool((S1, S2), 10, max_rest_seconds=30).reserve(session, datetime.now(UTC))
            assert isinstance(taken, Reservation)
            assert taken.sender == S2, "three days ago is outside the window"
            session.rollback()
        with engine.connect() as connection:
            today_sends = connection.execute(
                text("SELECT sent_at FROM mail_sends WHERE sender = :s ORDER BY sent_at DESC LIMIT 1"),
                {"s": S1},
            ).scalar_one()
        stamped = today_sends if isinstance(today_sends, datetime) else datetime.fromisoformat(today_sends)
        stamped = stamped.replace(tzinfo=UTC) if stamped.tzinfo is None else stamped
        assert stamped >= before_upgrade - timedelta(seconds=1), "today's: as late as they can be"

        migrate(engine, BEFORE, down=True)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT sender, day, sent FROM sender_usage")).all()
        by_day = {
            (sender, day if isinstance(day, date) else date.fromisoformat(day)): n for sender, day, n in rows
        }
        assert by_day == {(S1, today): 10}, "back to counts (at their conservative days)"
    finally:
        engine.dispose()
