"""The rows that keep misena under Google's limits, shared by every worker and replica.

Gmail's per-sender *daily* budget (:class:`SenderState`, :class:`MailSend`: a rolling 24 hours
counted send by send, see ``app.credentials.senders``) and the *rate* buckets every Google call
takes a permit from (:class:`QuotaBucket`, see ``app.quota``). Apart from the domain's tables
because they describe Google, not people.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.models import Base


class SenderState(Base):
    """A Gmail sender mailbox's state, shared by every worker and replica.

    The row is also what a reservation locks, so two workers never take the last slot; it is
    created with ``INSERT ... ON CONFLICT DO NOTHING`` so workers meeting a new sender at once
    do not collide.
    """

    __tablename__ = "mail_senders"

    sender: Mapped[str] = mapped_column(String(320), primary_key=True)
    #: Resting after a short Gmail rate limit (429, rate-limit 403) until then.
    resting_until: Mapped[datetime | None]
    #: Rate limits in a row: each one rests the sender twice as long (capped).
    rest_strikes: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    #: Gmail answered its *daily* sending limit: no sends until then.
    exhausted_until: Mapped[datetime | None]


class MailSend(Base):
    """One message sent (or being sent) by a sender: its daily budget is the count of these in
    the last 24 hours — Gmail's rolling window — and rows older than that are pruned."""

    __tablename__ = "mail_sends"
    __table_args__ = (Index("ix_mail_sends_sender_sent_at", "sender", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(320))
    sent_at: Mapped[datetime]


class QuotaBucket(Base):
    """One of Google's rate limits as every process sees it: the state of
    :mod:`workspace.rate_rule` (GCRA's theoretical arrival time, the last decrease, the pause).

    Times are seconds since the Unix epoch as floats (the rule's arithmetic is in seconds, and
    the row is read and written in one short locked transaction per Google call). The configured
    rate is not stored: it comes from each process's settings.
    """

    __tablename__ = "quota_buckets"

    name: Mapped[str] = mapped_column(String(400), primary_key=True)
    tat: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))
    lowered_to: Mapped[float | None] = mapped_column(Float)
    recover_to: Mapped[float | None] = mapped_column(Float)
    lowered_at: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))
    paused_until: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))
    refusals: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
