"""What IT staff review a bulk plan by: each item's names as the roster gave them, the masked
document (never the whole number) and the reason in Spanish, beside the English ``detail``.

Revision ID: 0009_sync_item_review
Revises: 0008_quota_buckets
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_sync_item_review"
down_revision: str | None = "0008_quota_buckets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_items") as table:
        table.add_column(sa.Column("first_names", sa.String(300), nullable=True))
        table.add_column(sa.Column("last_names", sa.String(300), nullable=True))
        table.add_column(sa.Column("document", sa.String(24), nullable=True))
        table.add_column(sa.Column("detail_es", sa.String(1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_items") as table:
        for column in ("detail_es", "document", "last_names", "first_names"):
            table.drop_column(column)
