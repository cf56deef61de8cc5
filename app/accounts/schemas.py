"""What the IT staff API and the command line show of a suspension the circuit breaker held
(``/v1/holds``) and of a person's follow-up after their credentials (``/v1/people/{id}``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.accounts.follow_up import FollowUpState, PersonFollowUp
from app.db.models import SuspensionHold
from app.db.states import HoldState


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


class FollowUpOut(BaseModel):
    """Reminders to a person who has not signed in yet, and the help desk's flag."""

    state: FollowUpState = Field(
        description=(
            "not_delivered (no credentials email reached them yet), waiting (delivered, no "
            "reminder yet), reminded, flagged (every reminder spent: the help desk calls them) "
            "or signed_in (whatever came before)."
        )
    )
    reminders_sent: int
    last_reminded_at: datetime | None
    flagged_at: datetime | None = Field(
        description="When they were flagged for the help desk; kept, as history, after a later sign-in."
    )
    flag_reason: str | None
    next_step_at: datetime | None = Field(
        description="When the next reminder (or the flag) is due, while they are waiting or reminded."
    )

    @classmethod
    def of(cls, follow_up: PersonFollowUp) -> FollowUpOut:
        return cls.model_validate(follow_up, from_attributes=True)
