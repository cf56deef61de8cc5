"""When each person first signed in to Google (``people.first_signed_in_at``), and the marks
that let several worker processes run a tenant-wide check once per interval between them.

Revision ID: 0010_first_sign_in
Revises: 0009_sync_item_review
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0010_first_sign_in"
down_revision: str | None = "0009_sync_item_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people") as table:
        table.add_column(sa.Column("first_signed_in_at", sa.DateTime(timezone=True), nullable=True))
    marks = op.create_table(
        "schedule_marks",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_schedule_marks")),
    )
    op.bulk_insert(marks, [{"name": "first_sign_in_check", "ran_at": datetime(1970, 1, 1, tzinfo=UTC)}])


def downgrade() -> None:
    op.drop_table("schedule_marks")
    with op.batch_alter_table("people") as table:
        table.drop_column("first_signed_in_at")
