"""``/v1/jobs``: the queue as IT staff see it — list, last error, retry, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import select

from app.db.models import Job
from app.db.paging import fetch_page
from app.db.states import JobKind, JobState
from app.errors import not_found
from app.http.v1.deps import JobWriter, Limit, PageToken, Reader, ServicesDep, problems
from app.http.v1.schemas import ActionRequest, Counted, JobOut, PageOf

_NO_REASON = ActionRequest()
router = APIRouter(prefix="/jobs", tags=["jobs"])
JobId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", response_model=PageOf[JobOut], responses=problems(400), summary="List jobs, newest first")
def list_jobs(
    services: ServicesDep,
    _: Reader,
    state: JobState | None = None,
    kind: JobKind | None = None,
    person_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Limit = 50,
    page_token: PageToken = None,
) -> PageOf[JobOut]:
    statement = select(Job)
    if state:
        statement = statement.where(Job.state == state)
    if kind:
        statement = statement.where(Job.kind == kind)
    if person_id is not None:
        statement = statement.where(Job.person_id == person_id)
    with services.sessions() as session:
        page = fetch_page(session, statement, Job.id, page_token, limit)
        return PageOf(items=[JobOut.of(j) for j in page.items], next_page_token=page.next_page_token)


@router.get("/{job_id}", response_model=JobOut, responses=problems(404), summary="One job and its last error")
def get_job(services: ServicesDep, _: Reader, job_id: JobId) -> JobOut:
    with services.sessions() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise not_found("job")
        return JobOut.of(job)


@router.post("/retry-dead", response_model=Counted, responses=problems(), summary="Retry every dead job")
def retry_dead_jobs(services: ServicesDep, caller: JobWriter, body: ActionRequest = _NO_REASON) -> Counted:
    return Counted(action="job.retry_dead", count=services.staff.retry_dead(caller.actor, body.reason))


@router.post(
    "/{job_id}/retry", response_model=JobOut, responses=problems(404, 409), summary="Retry a dead job"
)
def retry_job(
    services: ServicesDep, caller: JobWriter, job_id: JobId, body: ActionRequest = _NO_REASON
) -> JobOut:
    services.staff.retry_job(job_id, caller.actor, body.reason)
    return get_job(services, caller, job_id)


@router.post(
    "/{job_id}/cancel", response_model=JobOut, responses=problems(404, 409), summary="Cancel a pending job"
)
def cancel_job(
    services: ServicesDep, caller: JobWriter, job_id: JobId, body: ActionRequest = _NO_REASON
) -> JobOut:
    services.staff.cancel_job(job_id, caller.actor, body.reason)
    return get_job(services, caller, job_id)
