"""``/v1/jobs``: the queue as IT staff see it — list, last error, retry, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.db.states import JobKind, JobState
from app.http.v1.deps import JobWriter, Limit, PageToken, Reader, ServicesDep, problems
from app.http.v1.schemas import ActionRequest, Counted, PageOf
from app.jobs.queries import job_out, jobs_page
from app.jobs.schemas import JobOut

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
    with services.sessions() as session:
        page = jobs_page(
            session, state=state, kind=kind, person_id=person_id, page_token=page_token, limit=limit
        )
    return PageOf(items=page.items, next_page_token=page.next_page_token)


@router.get("/{job_id}", response_model=JobOut, responses=problems(404), summary="One job and its last error")
def get_job(services: ServicesDep, _: Reader, job_id: JobId) -> JobOut:
    with services.sessions() as session:
        return job_out(session, job_id)


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
