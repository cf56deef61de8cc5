"""Sender budgets over Gmail's rolling 24 hours; deliveries that wait for sender capacity.

``sender_usage`` counted sends per UTC calendar day, while Gmail counts a rolling 24 hours: the
day after a burst the count restarted at midnight and most sends bounced. It becomes one row
per send (``mail_sends``, pruned after 24 h) plus each sender's rest/exhaustion state
(``mail_senders``, the row a reservation locks). Today's and yesterday's counts are carried
over as sends stamped at the latest moment they can have happened (the end of their day, or
now), so no slot comes free earlier than it does at Gmail. Deliveries gain
``next_attempt_at`` (the estimate shown while ``waiting``) and an index on ``status``.

Revision ID: 0006_rolling_sender_budget
Revises: 0005_sync_runs
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0006_rolling_sender_budget"
down_revision: str | None = "0005_sync_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WINDOW = timedelta(hours=24)

_SENDER_USAGE = sa.table(
    "sender_usage", sa.column("sender", sa.String), sa.column("day", sa.Date), sa.column("sent", sa.Integer)
)
_MAIL_SENDERS = sa.table("mail_senders", sa.column("sender", sa.String))
_MAIL_SENDS = sa.table(
    "mail_sends", sa.column("sender", sa.String), sa.column("sent_at", sa.DateTime(timezone=True))
)


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _stored(moment: datetime, dialect: str) -> datetime:
    """SQLite keeps naive UTC (as ``app.db.types.UtcDateTime`` does); PostgreSQL timestamptz."""
    return moment.replace(tzinfo=None) if dialect == "sqlite" else moment


def upgrade() -> None:
    op.create_table(
        "mail_senders",
        sa.Column("sender", sa.String(320), nullable=False),
        _timestamp("resting_until", nullable=True),
        sa.Column("rest_strikes", sa.Integer(), server_default=sa.text("0"), nullable=False),
        _timestamp("exhausted_until", nullable=True),
        sa.PrimaryKeyConstraint("sender", name="pk_mail_senders"),
    )
    op.create_table(
        "mail_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(320), nullable=False),
        _timestamp("sent_at"),
        sa.PrimaryKeyConstraint("id", name="pk_mail_sends"),
    )
    op.create_index("ix_mail_sends_sender_sent_at", "mail_sends", ["sender", "sent_at"])
    _carry_over_daily_counts()
    op.drop_table("sender_usage")

    with op.batch_alter_table("credential_deliveries") as deliveries:
        deliveries.add_column(_timestamp("next_attempt_at", nullable=True))
        deliveries.create_index("ix_credential_deliveries_status", ["status"])


def _carry_over_daily_counts() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    now = datetime.now(UTC)
    senders: set[str] = set()
    sends: list[dict[str, object]] = []
    for sender, day, sent in bind.execute(sa.select(_SENDER_USAGE)).all():
        senders.add(sender)
        latest = min(now, datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC))
        if latest > now - WINDOW and sent > 0:
            sends.extend({"sender": sender, "sent_at": _stored(latest, dialect)} for _ in range(sent))
    if senders:
        bind.execute(sa.insert(_MAIL_SENDERS), [{"sender": s} for s in sorted(senders)])
    if sends:
        bind.execute(sa.insert(_MAIL_SENDS), sends)


def downgrade() -> None:
    with op.batch_alter_table("credential_deliveries") as deliveries:
        deliveries.drop_index("ix_credential_deliveries_status")
        deliveries.drop_column("next_attempt_at")

    op.create_table(
        "sender_usage",
        sa.Column("sender", sa.String(320), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sent", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("sender", "day", name="pk_sender_usage"),
    )
    bind = op.get_bind()
    counts: dict[tuple[str, date], int] = {}
    for sender, sent_at in bind.execute(sa.select(_MAIL_SENDS)).all():
        day = (sent_at.astimezone(UTC) if sent_at.tzinfo else sent_at).date()
        key = (sender, day)
        counts[key] = counts.get(key, 0) + 1
    if counts:
        rows = [{"sender": s, "day": d, "sent": n} for (s, d), n in sorted(counts.items())]
        bind.execute(sa.insert(_SENDER_USAGE), rows)
    op.drop_index("ix_mail_sends_sender_sent_at", table_name="mail_sends")
    op.drop_table("mail_sends")
    op.drop_table("mail_senders")
