"""Bulk sync: runs (plans, refusals, progress) and their per-person items.

Revision ID: 0005_sync_runs
Revises: 0004_search
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_sync_runs"
down_revision: str | None = "0004_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        _timestamp("created_at"),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("source_name", sa.String(300), nullable=False),
        _timestamp("exported_at"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("roster_rows", sa.Integer(), nullable=False),
        sa.Column("roster_people", sa.Integer(), nullable=False),
        sa.Column("bad_rows", sa.Integer(), nullable=False),
        sa.Column("roster_errors", sa.JSON(), nullable=False),
        sa.Column("managed_in_scope", sa.Integer(), nullable=False),
        sa.Column("suspensions", sa.Integer(), nullable=False),
        sa.Column("directory_calls", sa.Integer(), nullable=False),
        sa.Column("refusal_code", sa.String(32), nullable=True),
        sa.Column("refusal_es", sa.String(1000), nullable=True),
        sa.Column("refusal_en", sa.String(1000), nullable=True),
        sa.Column("confirmed_by", sa.String(200), nullable=True),
        _timestamp("applied_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sync_runs"),
    )
    op.create_table(
        "sync_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("person_key", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("detail", sa.String(1000), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("record", sa.JSON(), nullable=True),
        _timestamp("applied_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sync_items"),
        sa.ForeignKeyConstraint(["run_id"], ["sync_runs.id"], name="fk_sync_items_run_id_sync_runs"),
    )
    op.create_index("ix_sync_items_run_id", "sync_items", ["run_id"])


def downgrade() -> None:
    op.drop_table("sync_items")
    op.drop_table("sync_runs")
