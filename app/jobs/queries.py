"""Jobs as IT staff look them up: a filtered page, newest first, and one job by id.

The API (``GET /v1/jobs``) and the CLI (``misena jobs list`` / ``show``) answer from here, so a
filter means the same thing at both and the SQL is written once.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Job
from app.db.paging import Page, fetch_page
from app.db.states import JobKind, JobState
from app.errors import not_found
from app.jobs.schemas import JobOut


def jobs_page(
    session: Session,
    *,
    state: JobState | None = None,
    kind: JobKind | None = None,
    person_id: int | None = None,
    page_token: str | None = None,
    limit: int = 50,
) -> Page[JobOut]:
    """The jobs matching every filter given, newest first; a bad ``page_token`` is invalid input."""
    statement = select(Job)
    if state:
        statement = statement.where(Job.state == state)
    if kind:
        statement = statement.where(Job.kind == kind)
    if person_id is not None:
        statement = statement.where(Job.person_id == person_id)
    page = fetch_page(session, statement, Job.id, page_token, limit)
    return Page([JobOut.of(job) for job in page.items], page.next_page_token)


def job_out(session: Session, job_id: int) -> JobOut:
    """One job as read; not found when no job has that id."""
    job = session.get(Job, job_id)
    if job is None:
        raise not_found("job")
    return JobOut.of(job)
