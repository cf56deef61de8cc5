"""The follow-up of people who never signed in (the help desk's flag, with its reason), where
each person studies for the activation report (their latest enrollment's regional, centro and
ficha, backfilled from the records), and the follow-up's schedule mark.

Revision ID: 0011_follow_up
Revises: 0010_first_sign_in
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011_follow_up"
down_revision: str | None = "0010_first_sign_in"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLACE = ("regional_code", "regional_name", "centro_code", "centro_name", "ficha")
INDEXED = ("regional_code", "centro_code", "ficha")


def _place(record: dict[str, Any]) -> dict[str, Any]:
    """Frozen copy of the pick at this revision: the latest enrollment by start date, then ficha."""
    enrollments = record.get("enrollments") or []
    if not enrollments:
        return dict.fromkeys(PLACE)
    latest = max(enrollments, key=lambda e: (str(e.get("start_date", "")), str(e.get("ficha", ""))))
    return {name: latest.get(name) for name in PLACE}


def upgrade() -> None:
    with op.batch_alter_table("people") as people:
        people.add_column(sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=True))
        people.add_column(sa.Column("flag_reason", sa.String(500), nullable=True))
        for name in PLACE:
            size = 300 if name.endswith("_name") else 64
            people.add_column(sa.Column(name, sa.String(size), nullable=True))
        for name in INDEXED:
            people.create_index(f"ix_people_{name}", [name])
    table = sa.table("people", sa.column("id", sa.Integer()), sa.column("record", sa.JSON()),
                     *(sa.column(name, sa.String()) for name in PLACE))  # fmt: skip
    connection = op.get_bind()
    for row in connection.execute(sa.select(table.c.id, table.c.record)).all():
        connection.execute(table.update().where(table.c.id == row.id).values(**_place(row.record or {})))
    marks = sa.table("schedule_marks", sa.column("name", sa.String()), sa.column("ran_at", sa.DateTime()))
    op.bulk_insert(marks, [{"name": "follow_up", "ran_at": datetime(1970, 1, 1, tzinfo=UTC)}])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM schedule_marks WHERE name = 'follow_up'"))
    with op.batch_alter_table("people") as people:
        for name in INDEXED:
            people.drop_index(f"ix_people_{name}")
        for name in reversed(PLACE):
            people.drop_column(name)
        people.drop_column("flag_reason")
        people.drop_column("flagged_at")
