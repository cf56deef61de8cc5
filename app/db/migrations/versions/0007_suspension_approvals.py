"""Suspensions IT staff confirmed in a bulk plan: the circuit breaker lets each through once.

``suspension_approvals`` holds, per person, the exact reason of the suspension a confirmed
plan makes (``open`` until the brake honours it, ``used``, or ``void`` once the person is
plainly active again), the run and the staff member who confirmed it.

Revision ID: 0007_suspension_approvals
Revises: 0006_rolling_sender_budget
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_suspension_approvals"
down_revision: str | None = "0006_rolling_sender_budget"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "suspension_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=False),
        _timestamp("approved_at"),
        sa.Column("state", sa.String(8), nullable=False),
        _timestamp("closed_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_suspension_approvals"),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name="fk_suspension_approvals_person_id_people"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["sync_runs.id"], name="fk_suspension_approvals_run_id_sync_runs"
        ),
        sa.CheckConstraint("state IN ('open', 'used', 'void')", name="ck_suspension_approvals_state"),
    )
    op.create_index("ix_suspension_approvals_person_id", "suspension_approvals", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_suspension_approvals_person_id", table_name="suspension_approvals")
    op.drop_table("suspension_approvals")
