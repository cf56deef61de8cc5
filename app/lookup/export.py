"""Everything misena holds about one person, as JSON, for a habeas-data request (Ley 1581 de
2012: a person can learn what is held about them) — audited with who asked, when and why.

Every table with a foreign key to ``people`` is exported row by row, found by reading the
SQLAlchemy metadata, so a table added later is in the export without anyone remembering to
add it here. Three more hold the person without a foreign key, and are named here: the
webhook payloads stored about them and the bulk sync items that name them (both by the
person's keys, current and former), and audit entries that name the person in ``details``
(misena's own ``account.create`` entries, so that a merge of two rows can delete one).

No table holds a password (credentials are sent, never stored), so none can be exported; API
tokens and sender budgets name staff and mailboxes, not people.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, FromClause, Table, or_, select
from sqlalchemy.orm import Session

from app.db.models import AuditEvent, Base, Person, PersonAlias, SyncItem, WebhookEvent
from app.errors import not_found
from app.people import repository as people
from app.staff.audit import record as audit

EXPORTED = "person.export"


def person_tables() -> dict[Table, Column[Any]]:
    """The tables whose rows point at a person, each with its foreign key to ``people.id``."""
    people_id = Person.__table__.c.id
    return {
        fk.parent.table: fk.parent
        for table in Base.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column is people_id and isinstance(fk.parent.table, Table)
    }


def export_person(
    session: Session, person_id: int, *, actor: str, reason: str, now: datetime
) -> dict[str, Any]:
    """The export (``tables``: each table's rows about the person), after recording it in the
    audit trail in the same transaction: the export lists its own entry."""
    person = people.get(session, person_id)
    if person is None:
        raise not_found("person")
    audit(session, actor=actor, action=EXPORTED, at=now, person_id=person_id, reason=reason)
    session.flush()
    keys = [
        person.person_key,
        *session.scalars(select(PersonAlias.person_key).where(PersonAlias.person_id == person_id)),
    ]
    tables: dict[str, list[dict[str, Any]]] = {
        "people": _rows(session, Person.__table__, Person.__table__.c.id == person_id)
    }
    for table, column in person_tables().items():
        tables[table.name] = _rows(session, table, column == person_id)
    # and the entries that name the person in ``details`` (a scan: exports are rare)
    named = AuditEvent.details["person_id"].as_integer() == person_id
    audit_rows = or_(AuditEvent.person_id == person_id, named)
    tables[AuditEvent.__tablename__] = _rows(session, AuditEvent.__table__, audit_rows)
    tables[WebhookEvent.__tablename__] = _rows(
        session, WebhookEvent.__table__, WebhookEvent.person_key.in_(keys)
    )
    tables[SyncItem.__tablename__] = _rows(session, SyncItem.__table__, SyncItem.person_key.in_(keys))
    return {
        "person_id": person_id,
        "exported_at": _json(now),
        "exported_by": actor,
        "reason": reason,
        "tables": tables,
    }


def _rows(session: Session, table: FromClause, where: Any) -> list[dict[str, Any]]:
    primary = list(table.primary_key)
    found = session.execute(select(table).where(where).order_by(*primary)).mappings()
    return [{name: _json(value) for name, value in row.items()} for row in found]


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
