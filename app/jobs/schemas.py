"""What the IT staff API and the command line show of a job (``/v1/jobs``, a person's page)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from app.db.models import Job
from app.db.states import JobKind, JobState


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
