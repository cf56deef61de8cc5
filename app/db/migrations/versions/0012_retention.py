"""Retention: a webhook's payload may be purged (``webhook_events.payload`` nullable) while its
row stays as the ``webhook-id`` dedupe record, and the purges find old rows by index
(``webhook_events.received_at``, ``jobs.finished_at``) instead of scanning the tables.

Revision ID: 0012_retention
Revises: 0011_follow_up
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_retention"
down_revision: str | None = "0011_follow_up"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_events") as table:
        table.alter_column("payload", existing_type=sa.JSON(), nullable=True)
        table.create_index(op.f("ix_webhook_events_received_at"), ["received_at"])
    with op.batch_alter_table("jobs") as table:
        table.create_index(op.f("ix_jobs_finished_at"), ["finished_at"])


def downgrade() -> None:
    with op.batch_alter_table("jobs") as table:
        table.drop_index(op.f("ix_jobs_finished_at"))
    with op.batch_alter_table("webhook_events") as table:
        table.drop_index(op.f("ix_webhook_events_received_at"))
        # A purged payload has no verbatim body left: an empty object stands in for it.
        table.execute(sa.text("UPDATE webhook_events SET payload = '{}' WHERE payload IS NULL"))
        table.alter_column("payload", existing_type=sa.JSON(), nullable=False)
