"""``POST /webhooks/sofia-plus``: verify, store durably, queue, answer 202 — nothing more.

The event row, the person's updated record and the reconcile job commit in one transaction
(the transactional outbox), so a 2xx always means the work will happen, and nothing touches
Google inline. A repeated ``webhook-id`` is acknowledged and changes nothing.

A document change (``person.updated`` with ``previous_document``) re-keys the person: the
old key becomes an alias, so late events under the old document still reach the same person
(and account). If Sofia already sent events under the new document, the two records are
merged into one (see :mod:`app.people.merge`).

Sofia retries every answer but a 2xx, so whatever can never be stored is refused here, before
anything is written, with a 4xx naming the field: a ``webhook-id`` longer than its column or
with control characters, JSON nested deeper than any event is, numbers Python would refuse to
convert or that have no JSON form once stored (``1e400`` is infinity), NUL and lone
surrogates anywhere in the document (:mod:`sofia_sync.storable`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate
from typing import Any, cast

from pydantic import SecretStr, ValidationError
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.clock import Clock
from app.db.models import Person, WebhookEvent, column_length
from app.db.states import JobKind
from app.errors import (
    FieldProblem,
    InvalidInputError,
    UnauthenticatedError,
    UnavailableError,
    UnsupportedMediaError,
    field_problems,
)
from app.jobs.outbox import enqueue
from app.logging_setup import get_logger
from app.people import repository as people
from app.people.merge import absorb, rekey
from app.texts import Text
from sofia_sync.contract import Event, PersonUpdated, UnknownEvent, parse_event
from sofia_sync.normalize import mask_document
from sofia_sync.person import apply_event
from sofia_sync.storable import refuse_control_characters, unstorable_path

MAX_BODY_BYTES = 256 * 1024
#: An event is 4 levels deep; unknown future events get room to grow, never Python's recursion
#: limit (json.loads raises RecursionError near 1,000 levels, json.dumps when storing sooner).
MAX_JSON_DEPTH = 32
#: Characters in one JSON number. The contract has no numbers at all; an unknown event's are
#: bounded far below Python's 4,300-digit conversion limit.
MAX_NUMBER_LENGTH = 100
EVENTS = cast("Table", WebhookEvent.__table__)
WEBHOOK_ID_LENGTH = column_length(WebhookEvent.__table__.c.webhook_id)
log = get_logger(__name__)
_NOT_UTF8_JSON = Text("The body is not valid UTF-8 JSON.")


class WebhookVerifier:
    """Standard Webhooks signatures, accepting any of the configured secrets (rotation)."""

    def __init__(self, secrets: Sequence[SecretStr]) -> None:
        self._hooks = [Webhook(secret.get_secret_value()) for secret in secrets]

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """:class:`~app.errors.UnauthenticatedError` (401) unless a configured secret signed
        ``body``; :class:`~app.errors.UnsupportedMediaError` (415) for a body that is not UTF-8
        (the signature is checked over its text, so it cannot be checked at all)."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise UnsupportedMediaError(_NOT_UTF8_JSON) from None
        wanted = {
            k: headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature") if k in headers
        }
        for hook in self._hooks:
            try:
                hook.verify(text, wanted, json_parse=False)
            except (WebhookVerificationError, ValueError):
                continue
            return
        raise UnauthenticatedError(
            Text("Missing, malformed, wrong or stale signature."),
            title=Text("Invalid webhook signature"),
        )


def webhook_id_of(headers: Mapping[str, str]) -> str:
    """The ``webhook-id`` as it is stored: a verified signature covers it, but a valid
    signature over an id the column cannot hold would still be a 500 on PostgreSQL."""
    value = headers.get("webhook-id", "")
    try:
        if len(value) > WEBHOOK_ID_LENGTH:
            raise ValueError(f"has more than {WEBHOOK_ID_LENGTH} characters")
        refuse_control_characters(value)
    except ValueError as exc:
        raise _refused(
            "webhook-id", Text.verbatim(str(exc)), title=Text("The webhook headers break the contract")
        ) from None
    return value


_BREAKS_CONTRACT = Text("The event breaks the contract")


def _refused(field: str, message: Text, *, title: Text = _BREAKS_CONTRACT) -> InvalidInputError:
    return InvalidInputError(title=title, fields=[FieldProblem(field, message)])


def check_content_type(content_type: str | None) -> None:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise UnsupportedMediaError(Text("The body must be application/json."))


class _RefusedNumberError(ValueError):
    """A JSON number misena will not convert (raised from inside the decoder)."""


def _integer(text: str) -> int:
    if len(text) > MAX_NUMBER_LENGTH:
        raise _RefusedNumberError(f"a number has more than {MAX_NUMBER_LENGTH} digits")
    return int(text)


def _real(text: str) -> float:
    value = float(text) if len(text) <= MAX_NUMBER_LENGTH else None
    if value is None or value in (float("inf"), float("-inf")):
        raise _RefusedNumberError(f"a number is too large (or has more than {MAX_NUMBER_LENGTH} digits)")
    return value


def _constant(name: str) -> float:
    raise _RefusedNumberError(f"{name} is not JSON")  # json.loads accepts NaN and Infinity


_DECODER = json.JSONDecoder(parse_int=_integer, parse_float=_real, parse_constant=_constant)
#: A JSON string (escapes included), removed before brackets are counted.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
#: Brackets → +1 / -1 as signed bytes; everything else deleted.
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[{]}"))


def nested_too_deep(body: bytes) -> bool:
    """Whether ``body``'s arrays and objects nest more than :data:`MAX_JSON_DEPTH` levels,
    found without parsing it (the parser is what deep nesting exhausts).

    An ordinary event has fewer brackets in all than the limit, which two counts (in C) show
    at once; only a body with more is scanned, its strings removed first.
    """
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return False
    steps = _STRING.sub(b"", body).translate(_STEPS, _NOT_BRACKETS)
    return max(accumulate(memoryview(steps).cast("b")), default=0) > MAX_JSON_DEPTH


def decode_json(body: bytes) -> Any:
    """The body as JSON, refused (422 naming ``body`` or the path) when it could not be
    stored and read back the same on both stores, or would exhaust the parser."""
    if nested_too_deep(body):
        raise _refused("body", Text("JSON nested more than {depth} levels deep", depth=MAX_JSON_DEPTH))
    try:
        text = body.decode("utf-8")
        payload = _DECODER.decode(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnsupportedMediaError(_NOT_UTF8_JSON) from exc
    except _RefusedNumberError as exc:
        raise _refused("body", Text.verbatim(str(exc))) from exc
    # NUL and lone surrogates can only arrive as \u escapes: a body without one holds neither.
    found = unstorable_path(payload) if "\\u" in text else None
    if found is not None:
        path, reason = found
        raise _refused(".".join(path) or "body", Text.verbatim(reason))
    return payload


def parse_contract(payload: Any) -> Event | UnknownEvent:
    try:
        return parse_event(payload)
    except ValidationError as exc:
        raise InvalidInputError(
            title=_BREAKS_CONTRACT,
            fields=field_problems(exc.errors(), skip_prefix=("body", "query", "path", "header")),
        ) from exc


@dataclass(frozen=True)
class Accepted:
    webhook_id: str
    duplicate: bool
    person_key: str | None


def _acts_on(event: Event | UnknownEvent) -> bool:
    return not isinstance(event, UnknownEvent)


class DuplicateError(Exception):
    """The ``webhook-id`` is stored already: the transaction is rolled back, nothing changes."""


def store_event(
    session: Session, webhook_id: str, event: Event | UnknownEvent, payload: Any, now: datetime
) -> Accepted:
    """Four statements for a new person: the person looked up (alias included), inserted, the
    event inserted unless its id is stored already, the reconcile queued. The duplicate check
    is the event's insert itself (``ON CONFLICT DO NOTHING``), last, so a first delivery — the
    usual case — pays no separate read; a redelivery raises :class:`DuplicateError`, which
    must roll the whole transaction back."""
    key: str | None = None
    person_id: int | None = None
    if not isinstance(event, UnknownEvent):
        person = _apply(session, event, now)
        session.flush()
        key, person_id = person.person_key, person.id
    if not _insert_event(session, webhook_id, event, payload, key, now):
        raise DuplicateError
    if person_id is not None:
        enqueue(session, JobKind.RECONCILE, person_id, now=now)
    return Accepted(webhook_id, duplicate=False, person_key=key)


def _insert_event(
    session: Session,
    webhook_id: str,
    event: Event | UnknownEvent,
    payload: Any,
    person_key: str | None,
    now: datetime,
) -> bool:
    """Store the delivery verbatim; False if its ``webhook-id`` is stored already (a racing
    delivery of the same id waits for the other transaction, then finds it)."""
    return bool(insert_events(session, [event_row(webhook_id, event, payload, person_key, now)]))


def event_row(
    webhook_id: str, event: Event | UnknownEvent, payload: Any, person_key: str | None, now: datetime
) -> dict[str, Any]:
    """The ``webhook_events`` row of one delivery, as it is stored."""
    return {
        "webhook_id": webhook_id,
        "event_type": event.type,
        "occurred_at": event.occurred_at,
        "received_at": now,
        "payload": payload,
        "person_key": person_key,
        "outcome": "stored" if _acts_on(event) else "stored, not acted on",
    }


def insert_events(session: Session, rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """Insert the deliveries in one statement; the ``webhook-id`` of each inserted (one whose
    id is stored already is skipped: ``ON CONFLICT DO NOTHING``)."""
    statement = _INSERT_EVENT_POSTGRESQL if session.get_bind().dialect.name == "postgresql" else _INSERT_EVENT
    return set(session.scalars(statement, list(rows)))


#: Built once (making one costs more than running it): ``ON CONFLICT`` is each dialect's own.
_INSERT_EVENT = (
    sqlite.insert(EVENTS).on_conflict_do_nothing(index_elements=["webhook_id"]).returning(EVENTS.c.webhook_id)
)
_INSERT_EVENT_POSTGRESQL = (
    postgresql.insert(EVENTS)
    .on_conflict_do_nothing(index_elements=["webhook_id"])
    .returning(EVENTS.c.webhook_id)
)


def _apply(session: Session, event: Event, now: datetime) -> Person:
    person = people.find_by_key(session, event.data.person.key)
    if isinstance(event, PersonUpdated) and event.data.previous_document is not None:
        former = people.find_by_key(session, event.data.previous_document.key)
        if former is not None and person is not None and former.id != person.id:
            absorb(session, keep=person, gone=former, now=now)
        person = person or former
    if person is None:
        return people.create(session, apply_event(None, event), now)
    current = people.record_of(person)
    updated = apply_event(current, event)
    if updated != current:
        people.save_record(person, updated, now)
    rekey(session, person, updated, now)
    return person


def accept(
    sessions: sessionmaker[Session],
    webhook_id: str,
    event: Event | UnknownEvent,
    payload: Any,
    *,
    clock: Clock,
) -> Accepted:
    """Store the event (and its effects) in one transaction; one retry on a racing insert."""
    for attempt in (1, 2):
        try:
            with sessions.begin() as session:
                accepted = store_event(session, webhook_id, event, payload, clock())
        except DuplicateError:
            accepted = Accepted(webhook_id, duplicate=True, person_key=None)
        except IntegrityError:
            if attempt == 2:
                raise
            continue
        except OperationalError as exc:
            log.error("webhook_store_failed", webhook_id=webhook_id, error=type(exc).__name__)
            raise UnavailableError(
                Text("Retry later."), title=Text("Cannot store the event right now")
            ) from exc
        log_accepted(accepted, event)
        return accepted
    raise AssertionError("unreachable")


def log_accepted(accepted: Accepted, event: Event | UnknownEvent) -> None:
    log.info(
        "webhook_accepted",
        webhook_id=accepted.webhook_id,
        event_type=event.type,
        duplicate=accepted.duplicate,
        person=_masked_key(accepted.person_key),
    )


def _masked_key(key: str | None) -> str | None:
    if key is None:
        return None
    document_type, _, number = key.partition(":")
    return f"{document_type}:{mask_document(number)}"
