"""Search columns on people: folded names and the personal email, backfilled from records.

Revision ID: 0004_search
Revises: 0003_staff
Create Date: 2026-11-29
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_search"
down_revision: str | None = "0003_staff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fold(text: str) -> str:
    """Frozen copy of the fold at this revision (migrations must not change with the code)."""
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return " ".join(bare.casefold().split())


def upgrade() -> None:
    with op.batch_alter_table("people") as people:
        people.add_column(sa.Column("search_name", sa.String(300), nullable=True))
        people.add_column(sa.Column("personal_email", sa.String(320), nullable=True))
        people.create_index("ix_people_personal_email", ["personal_email"])
    table = sa.table(
        "people",
        sa.column("id", sa.Integer()),
        sa.column("record", sa.JSON()),
        sa.column("search_name", sa.String()),
        sa.column("personal_email", sa.String()),
    )
    connection = op.get_bind()
    for row in connection.execute(sa.select(table.c.id, table.c.record)).all():
        record = row.record or {}
        email = record.get("personal_email")
        connection.execute(
            table.update()
            .where(table.c.id == row.id)
            .values(
                search_name=_fold(f"{record.get('first_names', '')} {record.get('last_names', '')}"),
                personal_email=email.lower() if email else None,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("people") as people:
        people.drop_index("ix_people_personal_email")
        people.drop_column("personal_email")
        people.drop_column("search_name")
