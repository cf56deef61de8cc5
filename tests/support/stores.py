"""The persistence tests' fixtures and rows (``tests/app/conftest.py`` hands the fixtures to the
app's suites): every test that uses them runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.db.engine import make_engine, session_factory
from app.db.migrate import upgrade
from app.db.models import Person
from app.jobs.queue import JobQueue, QueueSettings

T0 = datetime(2026, 1, 20, 13, 0, tzinfo=UTC)


class FakeClock:
    """A settable clock, so leases and backoff are tested without sleeping."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The migrated schema on the parametrized store."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def queue(sessions: sessionmaker[Session], clock: FakeClock) -> JobQueue:
    return JobQueue(sessions, QueueSettings(lease_seconds=60), clock=clock)


def add_people(sessions: sessionmaker[Session], count: int, *, first: int = 1) -> list[int]:
    """``count`` minimal people; returns their ids in order."""
    with sessions.begin() as session:
        people = [
            Person(
                person_key=f"CC:{1_000_000 + n}",
                document_type="CC",
                document_number=str(1_000_000 + n),
                record={"document_number": str(1_000_000 + n)},
                created_at=T0,
                updated_at=T0,
            )
            for n in range(first, first + count)
        ]
        session.add_all(people)
        session.flush()
        return [person.id for person in people]
