"""The tables. Other modules code against these names; change them only with a migration.

Every timestamp is aware UTC (:class:`UtcDateTime`). JSON columns hold what another layer owns
the shape of: the raw webhook body, and the domain's ``PersonRecord``. Passwords are never
stored — there is deliberately no column that could hold one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

from app.db.states import (
    AccountStatus,
    ApprovalState,
    DeliveryReason,
    DeliveryStatus,
    HoldState,
    JobKind,
    JobState,
    SuspensionSource,
    SyncItemState,
    SyncRunStatus,
    column_type,
    one_of,
)
from app.db.types import UtcDateTime, utcnow

#: Stable constraint and index names, so migrations can refer to them on every dialect.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: The partial unique index's predicate, as literal SQL: PostgreSQL can only match an
#: ``ON CONFLICT ... WHERE`` to a partial index when the predicate is a constant, not a
#: bound parameter.
PENDING_ONLY = text(f"state = '{JobState.PENDING.value}'")


#: Reasons shown to IT staff are composed ("suspended by IT staff: " + the staff's own 500
#: characters), so they can outgrow their column; PostgreSQL would refuse the whole write.
REASON_CHARS = 500


def column_length(column: ColumnElement[Any]) -> int:
    """The declared length of a text column: input checks read their limits from the schema,
    so a limit and its column cannot drift apart."""
    kind = column.type
    if not isinstance(kind, String) or kind.length is None:
        raise TypeError(f"column {column} declares no length")
    return kind.length


def fit_reason(text: str | None) -> str | None:
    """A reason cut to its column, marked as cut, so a long one never fails a write."""
    if text is None or len(text) <= REASON_CHARS:
        return text
    return text[: REASON_CHARS - 1] + "…"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime()}


class WebhookEvent(Base):
    """Every accepted Sofia Plus delivery, verbatim; ``webhook_id`` makes redelivery a no-op.

    The payload is purged after the retention period (:mod:`app.accounts.retention`): the row stays,
    payload ``NULL``, as the dedupe record of its ``webhook-id`` and the facts of the event."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(200), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    payload: Mapped[Any | None] = mapped_column(JSON)
    person_key: Mapped[str | None] = mapped_column(String(64), index=True)
    processed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(200))


class Person(Base):
    """Our record of a person (the desired side) and what we know of their account."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_key: Mapped[str] = mapped_column(String(64), unique=True)
    document_type: Mapped[str] = mapped_column(String(8))
    document_number: Mapped[str] = mapped_column(String(32), index=True)
    record: Mapped[Any] = mapped_column(JSON)
    primary_email: Mapped[str | None] = mapped_column(String(320), index=True)
    account_status: Mapped[AccountStatus] = mapped_column(
        column_type(AccountStatus, 32), default=AccountStatus.PENDING, server_default=AccountStatus.PENDING
    )
    status_reason: Mapped[str | None] = mapped_column(String(500))
    google_user_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: When the clock alone changes this person's account (a grace period ends): the sweep's cue.
    next_review_at: Mapped[datetime | None] = mapped_column(index=True)
    #: misena suspended the account (lifecycle), so misena may reactivate it; an account
    #: suspended by anyone else is never reactivated by misena.
    suspended_by_misena: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    suspension_reason: Mapped[str | None] = mapped_column(String(500))
    suspended_at: Mapped[datetime | None]
    #: Ficha group address → role, as misena last applied them (``None``: never recorded).
    group_memberships: Mapped[Any] = mapped_column(JSON, nullable=True)
    #: IT staff took this person out of misena's management: nothing of theirs is changed.
    excluded: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    #: IT staff suspended the account (misuse); it stays suspended whatever Sofia says, until
    #: IT staff lift it.
    staff_suspended: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    staff_reason: Mapped[str | None] = mapped_column(String(500))
    #: Search copies of the record (see :mod:`app.people.index`): names without accents or
    #: case, and the personal email, so IT staff find a person without scanning JSON.
    search_name: Mapped[str | None] = mapped_column(String(300))
    personal_email: Mapped[str | None] = mapped_column(String(320), index=True)
    #: when the person first signed in to their Google account (Google's ``lastLoginTime`` as
    #: the sign-in check first saw it past the epoch); ``None``: not yet, or not checked yet
    first_signed_in_at: Mapped[datetime | None]
    #: The person got every reminder and still did not sign in: the help desk calls them
    #: (:mod:`app.accounts.follow_up`). Kept after a later sign-in, as history.
    flagged_at: Mapped[datetime | None]
    flag_reason: Mapped[str | None] = mapped_column(String(500))
    #: Where the person studies, for the activation report's groups: their latest enrollment's
    #: regional, centro and ficha (see :mod:`app.people.index`); ``None`` with no enrollment.
    regional_code: Mapped[str | None] = mapped_column(String(64), index=True)
    regional_name: Mapped[str | None] = mapped_column(String(300))
    centro_code: Mapped[str | None] = mapped_column(String(64), index=True)
    centro_name: Mapped[str | None] = mapped_column(String(300))
    ficha: Mapped[str | None] = mapped_column(String(64), index=True)

    @validates("status_reason", "suspension_reason", "staff_reason", "flag_reason")
    def _fit(self, _: str, value: str | None) -> str | None:
        return fit_reason(value)


class PersonAlias(Base):
    """A person key someone was known by before a document change (TI → CC), so late events
    under the old document reach the same person and account instead of creating another."""

    __tablename__ = "person_aliases"

    person_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Suspension(Base):
    """Every lifecycle suspension misena admitted: the circuit breaker's sliding window."""

    __tablename__ = "suspensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))

    admitted_at: Mapped[datetime] = mapped_column(index=True)
    #: ``brake`` (counted against the window), ``confirmed`` (IT staff confirmed it in a bulk
    #: plan: admitted past the limit, and counted) or ``released`` (IT staff let a held one
    #: through).
    source: Mapped[SuspensionSource] = mapped_column(column_type(SuspensionSource, 16))


class SuspensionHold(Base):
    """A suspension the circuit breaker held back: it waits for IT staff, never dropped.

    ``released`` lets the next reconcile suspend; ``discarded`` keeps the account active for
    as long as the reason stays the same; ``obsolete`` means Sofia changed its mind first.
    """

    __tablename__ = "suspension_holds"
    __table_args__ = (CheckConstraint(one_of("state", HoldState), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))

    state: Mapped[HoldState] = mapped_column(column_type(HoldState, 16), index=True)
    held_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(200))


class SuspensionApproval(Base):
    """A suspension IT staff confirmed in a bulk plan (``sync apply --confirm``), which the
    circuit breaker lets through once, for exactly this reason (see
    :mod:`app.accounts.approvals`).

    ``open`` until the brake honours it (``used``) or the person is plainly active again
    (``void``: a later ending is a new decision).
    """

    __tablename__ = "suspension_approvals"
    __table_args__ = (CheckConstraint(one_of("state", ApprovalState), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id"))
    approved_by: Mapped[str] = mapped_column(String(200))
    approved_at: Mapped[datetime]
    state: Mapped[ApprovalState] = mapped_column(column_type(ApprovalState, 8))
    closed_at: Mapped[datetime | None]


class Job(Base):
    """A unit of queued work for one person; see :mod:`app.jobs.queue` for the state machine."""

    __tablename__ = "jobs"
    __table_args__ = (
        # Coalescing: at most one pending job per (person, kind). Running, done and dead jobs
        # are outside the index, so work queued while a job runs gets its own pending row.
        Index(
            "uq_jobs_one_pending",
            "person_id",
            "kind",
            unique=True,
            sqlite_where=PENDING_ONLY,
            postgresql_where=PENDING_ONLY,
        ),
        Index("ix_jobs_state_run_after", "state", "run_after"),
        CheckConstraint(one_of("state", JobState), name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(column_type(JobKind, 32))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    state: Mapped[JobState] = mapped_column(
        column_type(JobState, 16), default=JobState.PENDING, server_default=JobState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    max_attempts: Mapped[int] = mapped_column(Integer, default=10, server_default=text("10"))
    run_after: Mapped[datetime] = mapped_column(index=True)
    lease_until: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(index=True)


class CredentialDelivery(Base):
    """One request to send a person their credentials, and how it went (never the password)."""

    __tablename__ = "credential_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    account_email: Mapped[str] = mapped_column(String(320))
    recipient_email: Mapped[str | None] = mapped_column(String(320))
    #: ``pending`` (not tried yet), ``waiting`` (for sender capacity, until ``next_attempt_at``),
    #: ``sent``, ``failed`` (refused for good; ``last_error`` says why), ``superseded``,
    #: ``no_recipient``. Indexed: the waiting ones are counted for metrics.
    status: Mapped[DeliveryStatus] = mapped_column(
        column_type(DeliveryStatus, 16),
        default=DeliveryStatus.PENDING,
        server_default=DeliveryStatus.PENDING,
        index=True,
    )
    sender: Mapped[str | None] = mapped_column(String(320))
    gmail_message_id: Mapped[str | None] = mapped_column(String(100))
    #: Sends tried (a wait for sender capacity is not an attempt).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(String(1000))
    requested_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    reason: Mapped[DeliveryReason] = mapped_column(column_type(DeliveryReason, 32))
    #: While ``waiting``: when a sender is estimated to have room for this delivery.
    next_attempt_at: Mapped[datetime | None]


class ScheduleMark(Base):
    """When a tenant-wide scheduled task last ran, so several worker processes run it once per
    interval between them: each claims the turn with one conditional ``UPDATE``."""

    __tablename__ = "schedule_marks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    ran_at: Mapped[datetime]


class ApiToken(Base):
    """An IT staff or automation token: only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The public part of the token (``msn_<prefix>_...``), to find the row without the secret.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class AuditEvent(Base):
    """Who did what to whom, and why. Append-only: triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    target: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(500))
    details: Mapped[Any] = mapped_column(JSON, nullable=True)


class SyncRun(Base):
    """A bulk reconciliation from a roster: its plan (counts, refusal) and how its apply went."""

    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(300))
    exported_at: Mapped[datetime]
    #: planned → applying → applied; a refused plan stays ``refused`` until confirmed.
    status: Mapped[SyncRunStatus] = mapped_column(column_type(SyncRunStatus, 16))
    counts: Mapped[Any] = mapped_column(JSON)
    roster_rows: Mapped[int] = mapped_column(Integer)
    roster_people: Mapped[int] = mapped_column(Integer)
    bad_rows: Mapped[int] = mapped_column(Integer)
    #: The first roster errors (line and reason; never a value from the file).
    roster_errors: Mapped[Any] = mapped_column(JSON)
    managed_in_scope: Mapped[int] = mapped_column(Integer)
    suspensions: Mapped[int] = mapped_column(Integer)
    directory_calls: Mapped[int] = mapped_column(Integer)
    refusal_code: Mapped[str | None] = mapped_column(String(32))
    refusal_es: Mapped[str | None] = mapped_column(String(1000))
    refusal_en: Mapped[str | None] = mapped_column(String(1000))
    confirmed_by: Mapped[str | None] = mapped_column(String(200))
    applied_at: Mapped[datetime | None]


class SyncItem(Base):
    """One person's line of a plan; ``pending`` until the apply has queued their reconcile."""

    __tablename__ = "sync_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id"), index=True)
    person_key: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(1000))
    #: The reason in Spanish, for IT staff (``detail`` is its English).
    detail_es: Mapped[str | None] = mapped_column(String(1000))
    #: The names as the roster gave them, and the document masked (never the whole number).
    first_names: Mapped[str | None] = mapped_column(String(300))
    last_names: Mapped[str | None] = mapped_column(String(300))
    document: Mapped[str | None] = mapped_column(String(24))
    source: Mapped[str] = mapped_column(String(8))
    #: pending (to apply), applied, or skipped (nothing to do: unchanged, left alone).
    state: Mapped[SyncItemState] = mapped_column(column_type(SyncItemState, 8))
    record: Mapped[Any] = mapped_column(JSON, nullable=True)
    applied_at: Mapped[datetime | None]
