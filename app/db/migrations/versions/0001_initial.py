"""Initial schema: webhook events, people, the job queue, credential deliveries, sender usage.

Revision ID: 0001_initial
Revises:
Create Date: 2026-01-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING_ONLY = sa.text("state = 'pending'")


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_key", sa.String(64), nullable=False),
        sa.Column("document_type", sa.String(8), nullable=False),
        sa.Column("document_number", sa.String(32), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("primary_email", sa.String(320), nullable=True),
        sa.Column("account_status", sa.String(32), server_default="pending", nullable=False),
        sa.Column("status_reason", sa.String(500), nullable=True),
        sa.Column("google_user_id", sa.String(64), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_people"),
        sa.UniqueConstraint("person_key", name="uq_people_person_key"),
    )
    op.create_index("ix_people_primary_email", "people", ["primary_email"])

    op.create_table(
        "sender_usage",
        sa.Column("sender", sa.String(320), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sent", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("sender", "day", name="pk_sender_usage"),
    )

    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        _timestamp("occurred_at"),
        _timestamp("received_at"),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("person_key", sa.String(64), nullable=True),
        _timestamp("processed_at", nullable=True),
        sa.Column("outcome", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_events"),
        sa.UniqueConstraint("webhook_id", name="uq_webhook_events_webhook_id"),
    )
    op.create_index("ix_webhook_events_person_key", "webhook_events", ["person_key"])

    op.create_table(
        "credential_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("account_email", sa.String(320), nullable=False),
        sa.Column("recipient_email", sa.String(320), nullable=True),
        sa.Column("status", sa.String(16), server_default="pending", nullable=False),
        sa.Column("sender", sa.String(320), nullable=True),
        sa.Column("gmail_message_id", sa.String(100), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.String(1000), nullable=True),
        _timestamp("requested_at", nullable=True),
        _timestamp("delivered_at", nullable=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_credential_deliveries"),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name="fk_credential_deliveries_person_id_people"
        ),
    )
    op.create_index("ix_credential_deliveries_person_id", "credential_deliveries", ["person_id"])

    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("max_attempts", sa.Integer(), server_default=sa.text("10"), nullable=False),
        _timestamp("run_after"),
        _timestamp("lease_until", nullable=True),
        sa.Column("locked_by", sa.String(100), nullable=True),
        sa.Column("last_error", sa.String(1000), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _timestamp("finished_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_jobs_person_id_people"),
        sa.CheckConstraint("state IN ('pending', 'running', 'done', 'dead')", name="ck_jobs_state"),
    )
    op.create_index("ix_jobs_person_id", "jobs", ["person_id"])
    op.create_index("ix_jobs_run_after", "jobs", ["run_after"])
    op.create_index("ix_jobs_state_run_after", "jobs", ["state", "run_after"])
    op.create_index(
        "uq_jobs_one_pending",
        "jobs",
        ["person_id", "kind"],
        unique=True,
        sqlite_where=PENDING_ONLY,
        postgresql_where=PENDING_ONLY,
    )


def downgrade() -> None:
    op.drop_table("jobs")
    op.drop_table("credential_deliveries")
    op.drop_table("webhook_events")
    op.drop_table("sender_usage")
    op.drop_table("people")
