"""What the IT staff API and the command line show of a suspension the circuit breaker held
(``/v1/holds``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

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
