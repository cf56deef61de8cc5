"""What the IT staff API and the command line show of a credentials delivery (never a
password: there is no field for one)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.db.models import CredentialDelivery
from app.db.states import DeliveryReason, DeliveryStatus


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
