"""A batch of webhooks about people misena does not know yet, stored in four statements.

A trimester's intake is thousands of ``enrollment.created`` for new people arriving together.
Stored one event at a time through the ORM (:func:`~app.people.intake.store_event`), each cost
four statements and a unit-of-work flush: measured, about 2 ms of the API's one core per event,
most of it SQLAlchemy's own bookkeeping rather than the database. When every event of a batch
is about someone new, the batch needs no per-event decision at all: one query finds that none
of the keys is known, then one insert each for the people, the events and their reconcile jobs
— the same rows the one-by-one path writes, made by the same functions.

Anything else (a person already known, a document change, an event misena does not act on,
one person twice in the batch) is left to the one-by-one path, which decides per event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.db.states import JobKind
from app.jobs.outbox import enqueue_new
from app.people import repository as people
from app.people.intake import Accepted, DuplicateError, event_row, insert_events
from sofia_sync.contract import Event, PersonUpdated, UnknownEvent
from sofia_sync.person import apply_event

#: (webhook-id, event, payload) of one delivery
Delivery = tuple[str, Event | UnknownEvent, Any]


def store_new_people(
    session: Session, deliveries: Sequence[Delivery], now: datetime
) -> list[Accepted] | None:
    """Store the batch when every event creates a person (their :class:`Accepted`, in order),
    or ``None``, having written nothing, when one does not.

    A ``webhook-id`` stored already raises :class:`~app.people.intake.DuplicateError`: the
    caller rolls the batch back and stores it one by one, so the redelivery gets its own answer.
    """
    events = _creating([event for _, event, _ in deliveries])
    if events is None:
        return None
    keys = [event.data.person.key for event in events]
    if len(set(keys)) != len(keys) or people.known_keys(session, keys):
        return None
    records = [apply_event(None, event) for event in events]
    person_ids = people.insert_new(session, records, now)
    rows = [
        event_row(webhook_id, event, payload, record.key, now)
        for (webhook_id, event, payload), record in zip(deliveries, records, strict=True)
    ]
    if len(insert_events(session, rows)) != len(rows):
        raise DuplicateError
    enqueue_new(session, JobKind.RECONCILE, person_ids, now=now)
    return [
        Accepted(webhook_id, duplicate=False, person_key=record.key)
        for (webhook_id, _, _), record in zip(deliveries, records, strict=True)
    ]


def _creating(events: list[Event | UnknownEvent]) -> list[Event] | None:
    """The events, if each can only be about a person by its key alone: none unknown to misena,
    none a document change."""
    known: list[Event] = []
    for event in events:
        if isinstance(event, UnknownEvent):
            return None
        if isinstance(event, PersonUpdated) and event.data.previous_document is not None:
            return None
        known.append(event)
    return known
