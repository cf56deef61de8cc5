"""The read models of a person: the summary a search lists and the whole picture of one
(:func:`app.lookup.queries.person_detail`), owned by the feature that assembles them; the
IT staff API and the command line both answer with them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.accounts.schemas import FollowUpOut, HoldOut
from app.credentials.schemas import DeliveryOut
from app.db.models import Person
from app.db.states import AccountStatus
from app.jobs.schemas import JobOut
from app.staff.schemas import AuditOut

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
    first_signed_in_at: datetime | None = Field(
        description=(
            "When the person first signed in to their Google account, as the scheduled sign-in "
            "check saw it (Google's lastLoginTime); null: not yet, or not checked since."
        )
    )
    follow_up: FollowUpOut
    workspace: WorkspaceState
    jobs: list[JobOut]
    deliveries: list[DeliveryOut]
    holds: list[HoldOut]
    audit: list[AuditOut]
