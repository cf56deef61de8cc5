"""The shapes the IT staff API answers with (never a password: there is no field for one), and
the bodies it takes, whose strings follow :mod:`sofia_sync.storable` like every stored string."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from app.db.models import AuditEvent, CredentialDelivery, Job, Person, SuspensionHold, column_length
from app.db.states import AccountStatus, DeliveryReason, DeliveryStatus, HoldState, JobKind, JobState
from sofia_sync.storable import StoredText

T = TypeVar("T")
#: A reason is kept in the audit trail (``audit_events.reason``) and on the person's row.
REASON_LENGTH = column_length(AuditEvent.__table__.c.reason)
Reason = Annotated[str, StoredText(REASON_LENGTH)]

PERSON_EXAMPLE: dict[str, Any] = {
    "id": 42,
    "person_key": "TI:1098765432",
    "document_type": "TI",
    "document_number": "1098765432",
    "first_names": "María José",
    "last_names": "Peña de la Torre",
    "account_email": "1098765432@misena.edu.co",
    "account_status": AccountStatus.ACTIVE.value,
    "status_reason": None,
    "excluded": False,
    "staff_suspended": False,
    "updated_at": "2026-01-20T13:15:02Z",
}


class PageOf(BaseModel, Generic[T]):
    items: list[T]
    next_page_token: str | None = Field(
        default=None, description="Pass as page_token for the next page; absent on the last page."
    )


class PersonSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [PERSON_EXAMPLE]})

    id: int
    person_key: str
    document_type: str
    document_number: str
    first_names: str
    last_names: str
    account_email: str | None
    account_status: AccountStatus = Field(
        description=(
            "pending, active, credentials_pending, suspended, suspended_outside, conflict (an "
            "account misena must not touch holds the address) or excluded (the configuration "
            "excludes the account: status_reason names the setting)"
        )
    )
    status_reason: str | None
    excluded: bool
    staff_suspended: bool
    updated_at: datetime

    @classmethod
    def of(cls, person: Person) -> PersonSummary:
        record = person.record or {}
        return cls(
            id=person.id,
            person_key=person.person_key,
            document_type=person.document_type,
            document_number=person.document_number,
            first_names=str(record.get("first_names", "")),
            last_names=str(record.get("last_names", "")),
            account_email=person.primary_email,
            account_status=person.account_status,
            status_reason=person.status_reason,
            excluded=person.excluded,
            staff_suspended=person.staff_suspended,
            updated_at=person.updated_at,
        )


class JobOut(BaseModel):
    id: int
    kind: JobKind
    person_id: int
    state: JobState
    attempts: int
    max_attempts: int
    run_after: datetime
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls.model_validate(job, from_attributes=True)


class DeliveryOut(BaseModel):
    """A credentials email: when, to where, from which sender — never the password."""

    id: int
    account_email: str
    recipient_email: str | None
    status: DeliveryStatus
    sender: str | None
    attempts: int
    last_error: str | None
    requested_at: datetime | None
    delivered_at: datetime | None
    reason: DeliveryReason
    next_attempt_at: datetime | None = Field(
        default=None,
        description="While `status` is `waiting` (for sender capacity): when a sender is "
        "estimated to have room for this delivery.",
    )

    @classmethod
    def of(cls, delivery: CredentialDelivery) -> DeliveryOut:
        return cls.model_validate(delivery, from_attributes=True)


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    person_id: int | None
    target: str | None
    reason: str | None
    details: dict[str, Any] | None

    @classmethod
    def of(cls, entry: AuditEvent) -> AuditOut:
        return cls.model_validate(entry, from_attributes=True)


class HoldOut(BaseModel):
    id: int
    person_id: int
    reason: str
    state: HoldState
    held_at: datetime
    decided_at: datetime | None
    decided_by: str | None

    @classmethod
    def of(cls, hold: SuspensionHold) -> HoldOut:
        return cls.model_validate(hold, from_attributes=True)


class WorkspaceState(BaseModel):
    """What misena last knew of the Google account; ``live`` is Google's answer, when asked."""

    primary_email: str | None
    google_user_id: str | None
    suspended_by_misena: bool
    suspension_reason: str | None
    suspended_at: datetime | None
    group_memberships: dict[str, str] | None
    next_review_at: datetime | None
    live: dict[str, Any] | None = None


class PersonDetail(PersonSummary):
    """Everything about one person: why their account is the way it is."""

    record: dict[str, Any] = Field(description="The Sofia Plus record, field by field.")
    desired: dict[str, Any] | None = Field(description="The account the policy wants for them now.")
    workspace: WorkspaceState
    jobs: list[JobOut]
    deliveries: list[DeliveryOut]
    holds: list[HoldOut]
    audit: list[AuditOut]


class ActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "Ticket 4711"}]})

    reason: Reason | None = Field(default=None, description="Why (kept in the audit trail).")


class SuspendRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Uso indebido reportado, ticket 4711"}]}
    )

    reason: Reason = Field(min_length=3, description="Required: why, per SENA's rules.")


class ExcludeRequest(SuspendRequest):
    pass


class HoldDecision(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"ids": [12, 13], "reason": "Verified with Sofia"}]}
    )

    ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] | None = Field(
        default=None, max_length=10_000, description="Held ids; null for all held."
    )
    reason: Reason | None = None


class Accepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"action": "person.suspend", "person_id": 42, "status": "queued"}]}
    )

    action: str
    person_id: int
    status: str = "queued"


class Counted(BaseModel):
    action: str
    count: int
