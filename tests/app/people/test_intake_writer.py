"""Group commit: webhooks that arrive together are stored in one transaction, each answered
only after it committed, and a batch that fails is stored one by one so every event gets the
answer it would have had alone (here: a redelivered id inside the batch)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.clock import system_clock
from app.db.models import Job, Person, WebhookEvent
from app.people.intake import Accepted, parse_contract
from app.people.intake_writer import IntakeWriter
from tests.support.harness import enrollment


def _together(writer: IntakeWriter, deliveries: list[tuple[str, dict[str, Any]]]) -> list[Accepted]:
    """Every delivery submitted at once, as concurrent requests do; their answers in order."""

    async def all_at_once() -> list[Accepted]:
        stores = [writer.store(webhook_id, parse_contract(p), p) for webhook_id, p in deliveries]
        return list(await asyncio.wait_for(asyncio.gather(*stores), timeout=60))

    return asyncio.run(all_at_once())


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_webhooks_arriving_together_share_a_transaction(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    commits: list[object] = []
    event.listen(engine, "commit", commits.append)
    writer = IntakeWriter(sessions, clock=system_clock)
    events = [enrollment(str(1_050_000_000 + n), document_type="CC") for n in range(40)]
    try:
        results = _together(writer, [(f"msg_{n}", payload) for n, payload in enumerate(events)])
    finally:
        writer.stop()
    assert [r.duplicate for r in results] == [False] * 40
    assert _count(sessions, WebhookEvent) == 40
    assert _count(sessions, Job) == 40
    assert len(commits) < 40  # all but the first few were queued while a batch was stored


def test_a_failing_batch_is_stored_one_by_one(engine: Engine, sessions: sessionmaker[Session]) -> None:
    writer = IntakeWriter(sessions, clock=system_clock)
    payloads = [enrollment(str(1_060_000_000 + n), document_type="CC") for n in range(30)]
    ids = [f"msg_{n}" for n in range(30)]
    ids[20] = ids[5]  # a redelivery inside the same burst: the batch holding both fails
    try:
        results = _together(writer, list(zip(ids, payloads, strict=True)))
    finally:
        writer.stop()
    assert [n for n, r in enumerate(results) if r.duplicate] == [20]
    assert _count(sessions, WebhookEvent) == 29
    # The duplicate changed nothing: its person (a new document) was never created.
    with sessions() as session:
        keys = set(session.scalars(select(Person.person_key)))
    assert f"CC:{1_060_000_020}" not in keys
    assert len(keys) == 29
