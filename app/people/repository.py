"""The ``people`` row: the one place that reads, creates and saves it.

A row holds the domain's :class:`~sofia_sync.person.PersonRecord` as JSON (``record``), its
searchable copies (:mod:`app.people.index`) and what misena knows of the account. Parsing the
record, keeping the copies in step with it and writing the account fields happen here only,
so a new copy or a new account field cannot be forgotten by one of the places that save a
person. Every function runs in the caller's session and transaction.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Final, Literal, cast

from sqlalchemy import CompoundSelect, Table, bindparam, insert, or_, select, union, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from app.db.models import Person, PersonAlias
from app.db.states import AccountStatus
from app.people.index import index_person, search_columns
from sofia_sync.contract import DocumentType, person_key
from sofia_sync.person import PersonRecord

PEOPLE = cast("Table", Person.__table__)
_SEPARATORS = re.compile(r"[\s.\-]")


class _Keep(Enum):
    """A field of an :class:`AccountUpdate` that is not written (its column keeps its value)."""

    KEEP = "keep"


KEEP: Final = _Keep.KEEP
Keep = Literal[_Keep.KEEP]


@dataclass(frozen=True)
class AccountUpdate:
    """What misena writes of a person's account: each field given is written (``None``
    included: it clears the column), each left :data:`KEEP` is not.

    Exactly the account columns of the row, so a reconcile (and a merge carrying an account
    over) can only write what exists, each with its type.
    """

    account_status: AccountStatus | Keep = KEEP
    status_reason: str | Keep | None = KEEP
    primary_email: str | Keep | None = KEEP
    google_user_id: str | Keep | None = KEEP
    suspended_by_misena: bool | Keep = KEEP
    suspension_reason: str | Keep | None = KEEP
    suspended_at: datetime | Keep | None = KEEP
    group_memberships: dict[str, str] | Keep | None = KEEP
    next_review_at: datetime | Keep | None = KEEP

    def then(self, later: AccountUpdate) -> AccountUpdate:
        """This update followed by ``later``: where both write a field, ``later`` wins."""
        given = {name: value for name, value in _fields(later).items() if value is not KEEP}
        return dataclasses.replace(self, **given)

    def given(self) -> bool:
        """Whether it writes anything at all."""
        return any(value is not KEEP for value in _fields(self).values())


def _fields(update: AccountUpdate) -> dict[str, Any]:
    return {field.name: getattr(update, field.name) for field in dataclasses.fields(update)}


def apply_account(person: Person, update: AccountUpdate) -> None:
    """Write the fields ``update`` gives onto the row."""
    if update.account_status is not KEEP:
        person.account_status = update.account_status
    if update.status_reason is not KEEP:
        person.status_reason = update.status_reason
    if update.primary_email is not KEEP:
        person.primary_email = update.primary_email
    if update.google_user_id is not KEEP:
        person.google_user_id = update.google_user_id
    if update.suspended_by_misena is not KEEP:
        person.suspended_by_misena = update.suspended_by_misena
    if update.suspension_reason is not KEEP:
        person.suspension_reason = update.suspension_reason
    if update.suspended_at is not KEEP:
        person.suspended_at = update.suspended_at
    if update.group_memberships is not KEEP:
        person.group_memberships = update.group_memberships
    if update.next_review_at is not KEEP:
        person.next_review_at = update.next_review_at


def account_of(person: Person) -> AccountUpdate:
    """Every account field of the row, as the update that writes them onto another row."""
    return AccountUpdate(
        account_status=person.account_status,
        status_reason=person.status_reason,
        primary_email=person.primary_email,
        google_user_id=person.google_user_id,
        suspended_by_misena=person.suspended_by_misena,
        suspension_reason=person.suspension_reason,
        suspended_at=person.suspended_at,
        group_memberships=person.group_memberships,
        next_review_at=person.next_review_at,
    )


# -- the record ------------------------------------------------------------------------------


def record_of(person: Person) -> PersonRecord:
    """The person's record, parsed: the one place the ``record`` column is read."""
    return PersonRecord.model_validate(person.record)


def record_from_json(text: str) -> PersonRecord:
    """A record read as JSON text (``CAST(record AS TEXT)``): pydantic parses it far faster
    than it validates decoded Python, which a stream of every person needs."""
    return PersonRecord.model_validate_json(text)


def new_row(record: PersonRecord, now: datetime) -> dict[str, Any]:
    """The columns of a new person's row for ``record`` (no account yet), indexed: the one
    place they are made, for one row (:func:`create`) or many (:func:`insert_new`)."""
    return {
        "person_key": record.key,
        "document_type": record.document_type.value,
        "document_number": record.document_number,
        "record": record.model_dump(mode="json"),
        "account_status": AccountStatus.PENDING,
        "created_at": now,
        "updated_at": now,
        **search_columns(record),
    }


def create(session: Session, record: PersonRecord, now: datetime) -> Person:
    """A new row for ``record`` (no account yet), indexed and added to the session."""
    person = Person(**new_row(record, now))
    session.add(person)
    return person


def insert_new(session: Session, records: Sequence[PersonRecord], now: datetime) -> list[int]:
    """New rows for ``records`` in one statement (no ORM objects), their ids in the same order.

    For a batch of people known to be new (:func:`known_keys` found none of them): the ORM's
    unit of work spends far more than the insert itself per row.
    """
    if not records:
        return []
    inserted = session.execute(_INSERT_PEOPLE, [new_row(record, now) for record in records])
    ids = {str(key): int(person_id) for key, person_id in inserted}
    return [ids[record.key] for record in records]


#: Built once: making a statement costs more than running it, for a small batch. The ids are
#: matched by key: asking for them in parameter order makes SQLite insert one row at a time.
_INSERT_PEOPLE = insert(PEOPLE).returning(PEOPLE.c.person_key, PEOPLE.c.id)


def save_record(person: Person, record: PersonRecord, now: datetime) -> None:
    """Store ``record`` as the person's, with its searchable copies, in one step."""
    person.record = record.model_dump(mode="json")
    person.updated_at = now
    index_person(person, record)


# -- finding people --------------------------------------------------------------------------


def get(session: Session, person_id: int) -> Person | None:
    return session.get(Person, person_id)


def get_one(session: Session, person_id: int) -> Person:
    """A person who must exist (a row that refers to them does): raises if not."""
    return session.get_one(Person, person_id)


def lock(session: Session, person_id: int) -> Person | None:
    """The person, row-locked until the transaction ends (``SELECT ... FOR UPDATE``)."""
    return session.get(Person, person_id, with_for_update=True)


def find_by_key(session: Session, key: str) -> Person | None:
    """The person under ``key`` or under a former key that is now an alias; row-locked.

    One statement for both (every webhook asks, and most ask about someone new, whom a key
    lookup and then an alias lookup took two round trips to not find); the row under the key
    itself wins should both exist.
    """
    aliased = select(PersonAlias.person_id).where(PersonAlias.person_key == key).scalar_subquery()
    found = session.scalars(
        select(Person).where(or_(Person.person_key == key, Person.id == aliased)).with_for_update()
    ).all()
    if len(found) > 1:
        return next(person for person in found if person.person_key == key)
    return found[0] if found else None


def known_keys(session: Session, keys: Collection[str]) -> set[str]:
    """Which of ``keys`` are someone's current key or a former key (an alias), in one query."""
    if not keys:
        return set()
    return set(session.scalars(_KNOWN_KEYS, {"keys": list(keys)}))


_KEYS: BindParameter[list[str]] = bindparam("keys", expanding=True)
_KNOWN_KEYS = union(
    select(Person.person_key).where(Person.person_key.in_(_KEYS)),
    select(PersonAlias.person_key).where(PersonAlias.person_key.in_(_KEYS)),
)


def key_holder(session: Session, key: str) -> int | None:
    """The id of the row whose current key is ``key``, if any (aliases aside)."""
    return session.scalars(select(Person.id).where(Person.person_key == key)).first()


def compact_document(text: str) -> str:
    """A document number as typed (``1.098.765.432``, ``52 123 456``) as misena stores it."""
    return _SEPARATORS.sub("", text).lower()


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_by_document(session: Session, text: str) -> list[Person]:
    """The people a document refers to: ``1098765432`` (any separators) or ``TI:1098765432``.

    A bare number may match several people (same number, different document types); a
    number someone was known by before a document change (TI → CC) finds them too.
    ``ValueError`` for an unknown document type or an empty number.
    """
    return list(session.scalars(select(Person).where(Person.id.in_(document_ids(text))).order_by(Person.id)))


def document_ids(text: str) -> CompoundSelect[tuple[int]]:
    """The ids of the people a document refers to (see :func:`find_by_document`), as a query,
    so a search can filter by it; ``ValueError`` for an unknown type or an empty number."""
    kind, colon, number = text.strip().rpartition(":")
    number = compact_document(number)
    if not number:
        raise ValueError("empty document number")
    if colon:
        try:
            key = person_key(DocumentType(kind.strip().upper()), number)
        except ValueError:
            raise ValueError("unknown document type") from None
        people = select(Person.id).where(Person.person_key == key)
        aliases = select(PersonAlias.person_id).where(PersonAlias.person_key == key)
    else:
        people = select(Person.id).where(Person.document_number == number)
        aliases = select(PersonAlias.person_id).where(
            PersonAlias.person_key.like(f"%:{escape_like(number)}", escape="\\")
        )
    return union(people, aliases)


def claim_due_reviews(session: Session, now: datetime, limit: int) -> list[int]:
    """Up to ``limit`` people whose review time has passed, oldest first, their review time
    cleared in the same transaction. Rows another sweeper holds are skipped (``SKIP LOCKED`` on
    PostgreSQL), so sweepers running at once never queue the same person twice."""
    due = list(
        session.scalars(
            select(Person.id)
            .where(Person.next_review_at <= now)
            .order_by(Person.next_review_at, Person.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if due:
        session.execute(update(Person).where(Person.id.in_(due)).values(next_review_at=None))
    return due
