"""Group commit for webhooks: one thread stores what arrives together in one transaction.

Measured with 32 webhooks at once, one transaction per webhook spent most of the API's one core
(the GIL) outside the work itself: a session, a pool checkout, ``BEGIN``/``COMMIT`` and a
thread hand-off per webhook, and every hand-off a fight for the GIL with the event loop parsing
the next requests. Here the requests queue their parsed event; the writer thread takes all
that are waiting (up to :data:`MAX_BATCH`), stores them in one transaction — in arrival order,
each exactly as :func:`~app.people.intake.accept` would — commits once, and only then answers
every one of them. A 202 still means "committed".

One thread on SQLite and PostgreSQL alike: SQLite has a single writer, and since a batch of new
people takes four statements whatever its size (:mod:`app.people.intake_batch`), a second
thread on PostgreSQL only split the batches and fought the event loop for the GIL (measured
with 32 concurrent webhooks: 470 requests/s with two threads, 600 with one).

Each batch is answered with one wake-up of the event loop (``call_soon_threadsafe``) for all
its requests, where a thread future per request cost a wake-up, a lock and a condition each.

Any failure inside a batch (a redelivered ``webhook-id``, a racing insert, an outage, a bug)
rolls the batch back and stores its events one by one with :func:`~app.people.intake.accept`,
so each gets exactly the answer it would have had alone and nothing is half-applied. Each
event's work runs in the context of the request that brought it (its ``request_id`` and
``webhook_id`` on every log line).
"""

from __future__ import annotations

import asyncio
import contextvars
import queue
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.clock import Clock
from app.people.intake import Accepted, accept, log_accepted, store_event
from app.people.intake_batch import store_new_people
from sofia_sync.contract import Event, UnknownEvent

#: Events stored in one transaction at most (it holds their people's row locks until commit).
MAX_BATCH = 64


@dataclass(frozen=True)
class _Delivery:
    webhook_id: str
    event: Event | UnknownEvent
    payload: Any
    context: contextvars.Context
    answer: asyncio.Future[Accepted]
    loop: asyncio.AbstractEventLoop


#: What a delivery is answered with: its acceptance, or the error storing it raised.
_Outcome = tuple[_Delivery, Accepted | Exception]


class IntakeWriter:
    """A thread storing webhooks in batches; started on first use."""

    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._queue: queue.SimpleQueue[_Delivery | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def store(self, webhook_id: str, event: Event | UnknownEvent, payload: Any) -> Accepted:
        """Queue the event and wait for its batch: its :class:`Accepted` once committed, or
        the error :func:`~app.people.intake.accept` would have raised."""
        if self._thread is None:
            self._start()
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Accepted] = loop.create_future()
        self._queue.put(_Delivery(webhook_id, event, payload, contextvars.copy_context(), answer, loop))
        return await answer

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="intake-writer", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Store what is queued, then end the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # the stop: after this batch
                    break
                batch.append(more)
            # A request gone meanwhile (client disconnected) is not stored: it had no answer.
            _answer(self._store([d for d in batch if not d.answer.cancelled()]))

    def _store(self, batch: list[_Delivery]) -> list[_Outcome]:
        if not batch:
            return []
        try:
            stored = self._store_together(batch)
        except Exception:
            stored = None  # one by one below, each with the answer it would have alone
        if stored is not None:
            for delivery, accepted in zip(batch, stored, strict=True):
                delivery.context.run(log_accepted, accepted, delivery.event)
            return list(zip(batch, stored, strict=True))
        return [(delivery, self._store_alone(delivery)) for delivery in batch]

    def _store_alone(self, delivery: _Delivery) -> Accepted | Exception:
        try:
            return delivery.context.run(
                accept, self._sessions, delivery.webhook_id, delivery.event, delivery.payload,
                clock=self._clock,
            )  # fmt: skip
        except Exception as exc:
            return exc

    def _store_together(self, batch: list[_Delivery]) -> list[Accepted]:
        with self._sessions.begin() as session:
            now = self._clock()
            new_people = store_new_people(session, [(d.webhook_id, d.event, d.payload) for d in batch], now)
            if new_people is not None:
                return new_people
            return [d.context.run(store_event, session, d.webhook_id, d.event, d.payload, now) for d in batch]


def _answer(outcomes: list[_Outcome]) -> None:
    """Hand each outcome to its request, with one wake-up per event loop for the batch."""
    by_loop: defaultdict[asyncio.AbstractEventLoop, list[_Outcome]] = defaultdict(list)
    for delivery, outcome in outcomes:
        by_loop[delivery.loop].append((delivery, outcome))
    for loop, answers in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, answers)
        except RuntimeError:
            continue  # that loop has closed: nobody is waiting any more


def _settle(answers: list[_Outcome]) -> None:
    """In the requests' event loop: each waiting request gets its outcome."""
    for delivery, outcome in answers:
        if delivery.answer.done():
            continue  # cancelled meanwhile
        if isinstance(outcome, Exception):
            delivery.answer.set_exception(outcome)
        else:
            delivery.answer.set_result(outcome)
