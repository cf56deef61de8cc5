"""The shapes the IT staff API answers with (never a password: there is no field for one), and
the bodies it takes, whose strings follow :mod:`sofia_sync.storable` like every stored string.

The read models of what a feature owns are that feature's (``app/<feature>/schemas.py``: a
feature never depends on the HTTP layer), and routers import them from there."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from app.db.models import AuditEvent, column_length
from sofia_sync.storable import StoredText

T = TypeVar("T")
#: A reason is kept in the audit trail (``audit_events.reason``) and on the person's row.
REASON_LENGTH = column_length(AuditEvent.__table__.c.reason)
Reason = Annotated[str, StoredText(REASON_LENGTH)]


class PageOf(BaseModel, Generic[T]):
    items: list[T]
    next_page_token: str | None = Field(
        default=None, description="Pass as page_token for the next page; absent on the last page."
    )


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


class ResendRequest(SuspendRequest):
    """A new password is a security action, like a suspension: IT staff say why (the ticket)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Olvidó la contraseña, ticket 4712"}]}
    )


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
