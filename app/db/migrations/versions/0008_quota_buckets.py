"""Google's rate limits shared by every process: one row per quota bucket.

``quota_buckets`` holds the state of the pacing rule (``workspace.rate_rule``) for each of
Google's limits misena spends — Directory queries, user creations, each Gmail sender's sends —
so that any number of workers and replicas stay under one quota together instead of each being
given a hand-divided share.

Revision ID: 0008_quota_buckets
Revises: 0007_suspension_approvals
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_quota_buckets"
down_revision: str | None = "0007_suspension_approvals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _float(name: str, *, nullable: bool = False) -> sa.Column[object]:
    default = None if nullable else sa.text("0")
    return sa.Column(name, sa.Float(), server_default=default, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "quota_buckets",
        sa.Column("name", sa.String(400), nullable=False),
        _float("tat"),
        _float("lowered_to", nullable=True),
        _float("recover_to", nullable=True),
        _float("lowered_at"),
        _float("paused_until"),
        sa.Column("refusals", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_quota_buckets"),
    )


def downgrade() -> None:
    op.drop_table("quota_buckets")
