"""A batch of webhooks about new people is stored in a fixed number of statements, with exactly
the rows the one-by-one path writes; any batch it cannot take is left untouched for that path."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import Base, Job, Person, PersonAlias, WebhookEvent
from app.people.intake import DuplicateError, parse_contract, store_event
from app.people.intake_batch import Delivery, store_new_people
from tests.support.harness import enrollment

NOW = datetime(2026, 2, 3, 14, 0, tzinfo=UTC)


def _deliveries(first: int, count: int, **person: Any) -> list[Delivery]:
    deliveries: list[Delivery] = []
    for n in range(first, first + count):
        payload = enrollment(str(n), document_type="CC", email_address=f"aprendiz{n}@example.com", **person)
        deliveries.append((f"msg_{n}", parse_contract(payload), payload))
    return deliveries


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _rows(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every column the intake writes, ids left out (they differ between two runs)."""

    def without_ids(name: str, *drop: str) -> list[dict[str, Any]]:
        table = Base.metadata.tables[name]
        names = [c.name for c in table.columns if c.name not in {"id", *drop}]
        rows = session.execute(
            select(*(table.c[n] for n in names)).order_by(*(table.c[n] for n in names[:1]))
        )
        return [dict(zip(names, row, strict=True)) for row in rows]

    return {
        "people": without_ids("people"),
        "events": without_ids("webhook_events"),
        "jobs": without_ids("jobs", "person_id"),
    }


@pytest.mark.parametrize("size", [1, 50])
def test_a_batch_of_new_people_takes_four_statements_whatever_its_size(
    engine: Engine, sessions: sessionmaker[Session], size: int
) -> None:
    deliveries = _deliveries(1_070_000_000, size)
    with sessions.begin() as session:
        session.connection()  # the transaction's own BEGIN is not the batch's work
        with _statements(engine) as seen:
            accepted = store_new_people(session, deliveries, NOW)
    assert accepted is not None
    assert [a.webhook_id for a in accepted] == [d[0] for d in deliveries]
    assert [a.person_key for a in accepted] == [f"CC:{1_070_000_000 + n}" for n in range(size)]
    # known keys, people, events, jobs — one by one it was four statements per event
    assert len(seen) == 4, seen
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == size
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == size
        jobs = session.execute(
            select(Job.person_id, Person.person_key).join(Person, Person.id == Job.person_id)
        )
        assert sorted(key for _, key in jobs) == sorted(a.person_key for a in accepted if a.person_key)


def test_the_batch_writes_the_rows_the_one_by_one_path_writes(sessions: sessionmaker[Session]) -> None:
    deliveries = _deliveries(1_071_000_000, 12, first_names="María José", last_names="Peña Muñoz")
    with sessions() as session:
        assert store_new_people(session, deliveries, NOW) is not None
        together = _rows(session)
        session.rollback()
        for webhook_id, parsed, payload in deliveries:
            store_event(session, webhook_id, parsed, payload, NOW)
        alone = _rows(session)
        session.rollback()
    assert together["people"][0]["search_name"] == "maria jose pena munoz"
    assert together == alone


def _known(sessions: sessionmaker[Session], number: int) -> None:
    with sessions.begin() as session:
        (webhook_id, parsed, payload) = _deliveries(number, 1)[0]
        store_event(session, f"earlier-{webhook_id}", parsed, payload, NOW)


def _counts(sessions: sessionmaker[Session]) -> list[int]:
    """People, events and jobs stored."""
    with sessions() as session:
        return [
            int(session.scalar(select(func.count()).select_from(m)) or 0) for m in (Person, WebhookEvent, Job)
        ]


def test_a_batch_naming_someone_known_is_left_whole_to_the_one_by_one_path(
    sessions: sessionmaker[Session],
) -> None:
    _known(sessions, 1_072_000_005)
    before = _counts(sessions)
    with sessions.begin() as session:
        assert store_new_people(session, _deliveries(1_072_000_000, 10), NOW) is None
    assert _counts(sessions) == before


def test_a_former_document_counts_as_known(sessions: sessionmaker[Session]) -> None:
    _known(sessions, 1_073_000_000)
    with sessions.begin() as session:
        person_id = session.scalars(select(Person.id)).one()
        session.add(PersonAlias(person_key="CC:1073000003", person_id=person_id, created_at=NOW))
    before = _counts(sessions)
    with sessions.begin() as session:
        assert store_new_people(session, _deliveries(1_073_000_001, 5), NOW) is None
    assert _counts(sessions) == before


def test_one_person_twice_or_an_event_misena_does_not_act_on_is_not_taken(
    sessions: sessionmaker[Session],
) -> None:
    twice = _deliveries(1_074_000_000, 3)
    twice.append(("msg_again", twice[0][1], twice[0][2]))
    unknown_payload = {"type": "ficha.renamed", "occurred_at": "2026-01-20T08:15:00-05:00", "data": {}}
    unknown = [
        *_deliveries(1_074_000_100, 2),
        ("msg_unknown", parse_contract(unknown_payload), unknown_payload),
    ]
    with sessions.begin() as session:
        assert store_new_people(session, twice, NOW) is None
        assert store_new_people(session, unknown, NOW) is None
    assert _counts(sessions) == [0, 0, 0]


def test_a_stored_webhook_id_in_the_batch_raises_for_the_caller_to_roll_back(
    sessions: sessionmaker[Session],
) -> None:
    _known(sessions, 1_075_000_000)
    stored_id = "earlier-msg_1075000000"
    deliveries = _deliveries(1_075_000_001, 3)
    deliveries[1] = (stored_id, deliveries[1][1], deliveries[1][2])
    with pytest.raises(DuplicateError), sessions.begin() as session:
        store_new_people(session, deliveries, NOW)
    assert _counts(sessions) == [1, 1, 1]
