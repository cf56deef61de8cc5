"""Group commit: webhooks that arrive together are stored in one transaction, each answered
only after it committed, and a batch that fails is stored one by one so every event gets the
answer it would have had alone (here: a redelivered id inside the batch)."""

from __future__ import annotations

from concurrent.futures import Future

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.clock import system_clock
from app.db.models import Job, Person, WebhookEvent
from app.people.intake import Accepted, parse_contract
from app.people.intake_writer import IntakeWriter
from tests.support.harness import enrollment


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_webhooks_arriving_together_share_a_transaction(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    commits: list[object] = []
    event.listen(engine, "commit", commits.append)
    writer = IntakeWriter(sessions, clock=system_clock, writers=1)
    events = [enrollment(str(1_050_000_000 + n), document_type="CC") for n in range(40)]
    try:
        answers: list[Future[Accepted]] = [
            writer.submit(f"msg_{n}", parse_contract(payload), payload) for n, payload in enumerate(events)
        ]
        results = [answer.result(timeout=60) for answer in answers]
    finally:
        writer.stop()
    assert [r.duplicate for r in results] == [False] * 40
    assert _count(sessions, WebhookEvent) == 40
    assert _count(sessions, Job) == 40
    assert len(commits) < 40  # all but the first few were queued while a batch was stored


def test_a_failing_batch_is_stored_one_by_one(engine: Engine, sessions: sessionmaker[Session]) -> None:
    writer = IntakeWriter(sessions, clock=system_clock, writers=1)
    payloads = [enrollment(str(1_060_000_000 + n), document_type="CC") for n in range(30)]
    ids = [f"msg_{n}" for n in range(30)]
    ids[20] = ids[5]  # a redelivery inside the same burst: the batch holding both fails
    try:
        answers = [writer.submit(i, parse_contract(p), p) for i, p in zip(ids, payloads, strict=True)]
        results = [answer.result(timeout=60) for answer in answers]
    finally:
        writer.stop()
    assert [n for n, r in enumerate(results) if r.duplicate] == [20]
    assert _count(sessions, WebhookEvent) == 29
    # The duplicate changed nothing: its person (a new document) was never created.
    with sessions() as session:
        keys = set(session.scalars(select(Person.person_key)))
    assert f"CC:{1_060_000_020}" not in keys
    assert len(keys) == 29
