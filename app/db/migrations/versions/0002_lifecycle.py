"""Lifecycle: suspension state and review time on people, ficha group memberships, person
aliases (document changes), and the suspension circuit breaker's window and holds.

Revision ID: 0002_lifecycle
Revises: 0001_initial
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_lifecycle"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("people") as people:
        people.add_column(_timestamp("next_review_at", nullable=True))
        people.add_column(
            sa.Column("suspended_by_misena", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        people.add_column(sa.Column("suspension_reason", sa.String(500), nullable=True))
        people.add_column(_timestamp("suspended_at", nullable=True))
        people.add_column(sa.Column("group_memberships", sa.JSON(), nullable=True))
        people.create_index("ix_people_next_review_at", ["next_review_at"])

    op.create_table(
        "person_aliases",
        sa.Column("person_key", sa.String(64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("person_key", name="pk_person_aliases"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_person_aliases_person_id_people"),
    )
    op.create_index("ix_person_aliases_person_id", "person_aliases", ["person_id"])

    op.create_table(
        "suspensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        _timestamp("admitted_at"),
        sa.Column("source", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_suspensions"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_suspensions_person_id_people"),
    )
    op.create_index("ix_suspensions_person_id", "suspensions", ["person_id"])
    op.create_index("ix_suspensions_admitted_at", "suspensions", ["admitted_at"])

    op.create_table(
        "suspension_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _timestamp("held_at"),
        _timestamp("decided_at", nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_suspension_holds"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_suspension_holds_person_id_people"),
        sa.CheckConstraint(
            "state IN ('held', 'released', 'discarded', 'obsolete')", name="ck_suspension_holds_state"
        ),
    )
    op.create_index("ix_suspension_holds_person_id", "suspension_holds", ["person_id"])
    op.create_index("ix_suspension_holds_state", "suspension_holds", ["state"])


def downgrade() -> None:
    op.drop_table("suspension_holds")
    op.drop_table("suspensions")
    op.drop_table("person_aliases")
    with op.batch_alter_table("people") as people:
        people.drop_index("ix_people_next_review_at")
        for column in (
            "group_memberships",
            "suspended_at",
            "suspension_reason",
            "suspended_by_misena",
            "next_review_at",
        ):
            people.drop_column(column)
