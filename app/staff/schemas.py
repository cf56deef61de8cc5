"""What the IT staff API and the command line show of the audit trail (``/v1/audit``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.db.models import AuditEvent


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
