"""``POST /webhooks/sofia-plus``: verify, store durably, queue, answer 202 — nothing more.

The event row, the person's updated record and the reconcile job commit in one transaction
(the transactional outbox), so a 2xx always means the work will happen, and nothing touches
Google inline. A repeated ``webhook-id`` is acknowledged and changes nothing.

A document change (``person.updated`` with ``previous_document``) re-keys the person: the
old key becomes an alias, so late events under the old document still reach the same person
(and account). If Sofia already sent events under the new document, the two records are
merged into one (see :mod:`app.person_merge`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import SecretStr, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.db.models import Person, WebhookEvent
from app.logging_setup import get_logger
from app.person_index import index_person
from app.person_merge import absorb, find_person, rekey
from app.problems import ProblemError, validation_problem
from app.queue import enqueue, utcnow
from sofia_sync.contract import Event, PersonUpdated, UnknownEvent, parse_event
from sofia_sync.normalize import mask_document
from sofia_sync.person import PersonRecord, apply_event

MAX_BODY_BYTES = 256 * 1024
RECONCILE = "reconcile"
log = get_logger(__name__)


class WebhookVerifier:
    """Standard Webhooks signatures, accepting any of the configured secrets (rotation)."""

    def __init__(self, secrets: Sequence[SecretStr]) -> None:
        self._hooks = [Webhook(secret.get_secret_value()) for secret in secrets]

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        wanted = {
            k: headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature") if k in headers
        }
        for hook in self._hooks:
            try:
                hook.verify(body, wanted, json_parse=False)
            except (WebhookVerificationError, ValueError):
                continue
            return
        raise ProblemError(401, "Invalid webhook signature", "Missing, malformed, wrong or stale signature.")


def check_content_type(content_type: str | None) -> None:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise ProblemError(415, "Unsupported media type", "The body must be application/json.")


def decode_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProblemError(415, "Unsupported media type", "The body is not valid UTF-8 JSON.") from exc


def parse_contract(payload: Any) -> Event | UnknownEvent:
    try:
        return parse_event(payload)
    except ValidationError as exc:
        raise ProblemError(
            422, "The event breaks the contract", errors=validation_problem(exc).errors
        ) from exc


@dataclass(frozen=True)
class Accepted:
    webhook_id: str
    duplicate: bool
    person_key: str | None


def _acts_on(event: Event | UnknownEvent) -> bool:
    return not isinstance(event, UnknownEvent)


def _store(
    session: Session, webhook_id: str, event: Event | UnknownEvent, payload: Any, now: datetime
) -> Accepted:
    if session.scalars(select(WebhookEvent.id).where(WebhookEvent.webhook_id == webhook_id)).first():
        return Accepted(webhook_id, duplicate=True, person_key=None)
    acting = _acts_on(event)
    key: str | None = None
    row = WebhookEvent(
        webhook_id=webhook_id,
        event_type=event.type,
        occurred_at=event.occurred_at,
        received_at=now,
        payload=payload,
        outcome="stored" if acting else "stored, not acted on",
    )
    session.add(row)
    if acting:
        assert not isinstance(event, UnknownEvent)  # noqa: S101 - narrowed by _acts_on
        person = _apply(session, event, now)
        key = row.person_key = person.person_key
        session.flush()
        enqueue(session, RECONCILE, person.id, now=now)
    return Accepted(webhook_id, duplicate=False, person_key=key)


def _apply(session: Session, event: Event, now: datetime) -> Person:
    person = find_person(session, event.data.person.key)
    if isinstance(event, PersonUpdated) and event.data.previous_document is not None:
        former = find_person(session, event.data.previous_document.key)
        if former is not None and person is not None and former.id != person.id:
            absorb(session, keep=person, gone=former, now=now)
        person = person or former
    if person is None:
        record = apply_event(None, event)
        person = Person(
            person_key=record.key,
            document_type=record.document_type,
            document_number=record.document_number,
            record=record.model_dump(mode="json"),
            account_status="pending",
            created_at=now,
            updated_at=now,
        )
        index_person(person, record)
        session.add(person)
        return person
    current = PersonRecord.model_validate(person.record)
    updated = apply_event(current, event)
    if updated != current:
        person.record = updated.model_dump(mode="json")
        person.updated_at = now
        index_person(person, updated)
    rekey(session, person, updated, now)
    return person


def accept(
    sessions: sessionmaker[Session], webhook_id: str, event: Event | UnknownEvent, payload: Any
) -> Accepted:
    """Store the event (and its effects) in one transaction; one retry on a racing insert."""
    for attempt in (1, 2):
        try:
            with sessions.begin() as session:
                accepted = _store(session, webhook_id, event, payload, utcnow())
        except IntegrityError:
            if attempt == 2:
                raise
            continue
        except OperationalError as exc:
            log.error("webhook_store_failed", webhook_id=webhook_id, error=type(exc).__name__)
            raise ProblemError(503, "Cannot store the event right now", "Retry later.") from exc
        log.info(
            "webhook_accepted",
            webhook_id=webhook_id,
            event_type=event.type,
            duplicate=accepted.duplicate,
            person=_masked_key(accepted.person_key),
        )
        return accepted
    raise AssertionError("unreachable")


def _masked_key(key: str | None) -> str | None:
    if key is None:
        return None
    document_type, _, number = key.partition(":")
    return f"{document_type}:{mask_document(number)}"
