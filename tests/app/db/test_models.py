"""Column behaviour that the rest of misena relies on: aware UTC datetimes and JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import Job, Person, WebhookEvent
from tests.support.stores import T0, add_people

BOGOTA = timezone(timedelta(hours=-5))


def _event(occurred_at: datetime, webhook_id: str = "msg_1") -> WebhookEvent:
    return WebhookEvent(
        webhook_id=webhook_id,
        event_type="enrollment.created",
        occurred_at=occurred_at,
        received_at=T0,
        payload={"type": "enrollment.created", "data": {"ficha": "2901817", "ñ": [1, 2.5, None]}},
    )


def test_datetimes_round_trip_as_aware_utc(sessions: sessionmaker[Session]) -> None:
    local = datetime(2026, 1, 20, 8, 15, 30, 123456, tzinfo=BOGOTA)
    with sessions.begin() as session:
        session.add(_event(local))
    with sessions() as session:
        event = session.scalars(select(WebhookEvent)).one()
    assert event.occurred_at == local
    assert event.occurred_at.tzinfo is UTC
    assert event.occurred_at.hour == 13
    assert event.received_at == T0
    assert event.received_at.tzinfo is UTC
    assert event.processed_at is None
    assert event.payload["data"]["ñ"] == [1, 2.5, None]


def test_sqlite_stores_utc_so_text_comparison_orders_correctly(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    # 08:00 in Bogotá is later than 12:00 UTC; stored as local text it would sort first.
    with sessions.begin() as session:
        session.add(_event(datetime(2026, 1, 20, 8, 0, tzinfo=BOGOTA), "late"))
        session.add(_event(datetime(2026, 1, 20, 12, 0, tzinfo=UTC), "early"))
    with sessions() as session:
        ordered = session.scalars(select(WebhookEvent.webhook_id).order_by(WebhookEvent.occurred_at))
        assert list(ordered) == ["early", "late"]
        after = session.scalars(
            select(WebhookEvent.webhook_id).where(
                WebhookEvent.occurred_at > datetime(2026, 1, 20, 7, 30, tzinfo=BOGOTA)
            )
        )
        assert list(after) == ["late"]
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            raw = connection.scalar(text("SELECT occurred_at FROM webhook_events WHERE webhook_id = 'late'"))
        assert str(raw).startswith("2026-01-20 13:00:00")


def test_naive_datetimes_are_refused(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(StatementError, match="naive datetime"), sessions.begin() as session:
        session.add(_event(datetime(2026, 1, 20, 8, 0)))


def test_defaults_and_constraints(sessions: sessionmaker[Session]) -> None:
    [person_id] = add_people(sessions, 1)
    with sessions() as session:
        person = session.get(Person, person_id)
        assert person is not None
        assert person.account_status == "pending"
    with pytest.raises(IntegrityError), sessions.begin() as session:  # foreign keys enforced
        session.add(Job(kind="reconcile", person_id=person_id + 1000, run_after=T0))
    with (
        pytest.raises(StatementError, match="not among the defined enum values"),
        sessions.begin() as session,
    ):
        session.add(Job(kind="reconcile", person_id=person_id, run_after=T0, state="lost"))  # the ORM
    with pytest.raises(IntegrityError), sessions.begin() as session:  # and, behind it, the CHECK
        session.execute(
            text(
                "INSERT INTO jobs (kind, person_id, state, attempts, max_attempts, run_after, created_at,"
                " updated_at) VALUES ('reconcile', :person, 'lost', 0, 10, :at, :at, :at)"
            ),
            {"person": person_id, "at": T0.replace(tzinfo=None)},
        )
    with sessions.begin() as session:
        job = Job(kind="reconcile", person_id=person_id, run_after=T0)
        session.add(job)
        session.flush()
        assert (job.state, job.attempts, job.max_attempts) == ("pending", 0, 10)
        assert job.created_at.tzinfo is UTC
