"""IT staff: API tokens, the append-only audit trail, exclusions and staff suspensions on
people, and a ``cancelled`` job state.

Revision ID: 0003_staff
Revises: 0002_lifecycle
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_staff"
down_revision: str | None = "0002_lifecycle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATES = "state IN ('pending', 'running', 'done', 'dead')"
NEW_STATES = "state IN ('pending', 'running', 'done', 'dead', 'cancelled')"

_SQLITE_APPEND_ONLY = [
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
]
_POSTGRES_APPEND_ONLY = [
    "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$",
    "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
]


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _false(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Boolean(), server_default=sa.text("false"), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("people") as people:
        people.add_column(_false("excluded"))
        people.add_column(_false("staff_suspended"))
        people.add_column(sa.Column("staff_reason", sa.String(500), nullable=True))
        people.create_index("ix_people_document_number", ["document_number"])

    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("ck_jobs_state", "jobs", type_="check")
        op.create_check_constraint("ck_jobs_state", "jobs", NEW_STATES)
    else:
        # SQLite cannot alter a constraint: batch mode rebuilds the table (indexes included).
        with op.batch_alter_table("jobs", recreate="always") as jobs:
            jobs.drop_constraint("ck_jobs_state", type_="check")
            jobs.create_check_constraint("ck_jobs_state", NEW_STATES)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        _timestamp("created_at"),
        sa.Column("created_by", sa.String(200), nullable=False),
        _timestamp("revoked_at", nullable=True),
        _timestamp("last_used_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("prefix", name="uq_api_tokens_prefix"),
    )

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        _timestamp("at"),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(100), nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_audit_events_person_id_people"),
    )
    for column in ("at", "actor", "action", "person_id"):
        op.create_index(f"ix_audit_events_{column}", "audit_events", [column])
    statements = _POSTGRES_APPEND_ONLY if op.get_bind().dialect.name == "postgresql" else _SQLITE_APPEND_ONLY
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("audit_events")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
        op.drop_constraint("ck_jobs_state", "jobs", type_="check")
        op.create_check_constraint("ck_jobs_state", "jobs", OLD_STATES)
    else:
        with op.batch_alter_table("jobs", recreate="always") as jobs:
            jobs.drop_constraint("ck_jobs_state", type_="check")
            jobs.create_check_constraint("ck_jobs_state", OLD_STATES)
    op.drop_table("api_tokens")
    with op.batch_alter_table("people") as people:
        people.drop_index("ix_people_document_number")
        for column in ("staff_reason", "staff_suspended", "excluded"):
            people.drop_column(column)
