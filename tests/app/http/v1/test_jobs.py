"""``/v1/jobs``: the queue as IT staff see it — filters, one job with its last error, retrying
dead jobs (one, or all), cancelling a pending one; and what is refused."""

from __future__ import annotations

from datetime import timedelta

from app.staff.tokens import Scope
from tests.support.events import enrolled, person
from tests.support.harness import Harness
from tests.support.staff_api import (
    INVALID_INSERT,
    api_client,
    apprentice,
    assert_problem,
    enroll,
    jobs,
    person_id,
)
from tests.support.staff_client import StaffClient

CARLOS = apprentice("52.123.456", "carlos.ramirez@example.com", "CARLOS", "RAMIREZ GOMEZ")


def job_staff(harness: Harness) -> StaffClient:
    return api_client(harness, Scope.ACCOUNTS_READ, Scope.JOBS_WRITE, name="soporte-colas")


def test_dead_jobs_are_listed_retried_one_by_one_or_all_at_once(harness: Harness) -> None:
    """Google refuses both creations (a permanent 400): the jobs die; retried, they succeed."""
    harness.emulator.set_faults([{**INVALID_INSERT, "times": 3}])  # the first refused twice (cold unit)
    enroll(harness, person(), CARLOS)
    majo, carlos = person_id(harness, "TI:1098765432"), person_id(harness, "CC:52123456")
    staff = job_staff(harness)

    dead = jobs(staff, state="dead")
    assert [(j["person_id"], j["kind"]) for j in dead] == [(carlos, "reconcile"), (majo, "reconcile")]
    assert all("Invalid Input" in (j["last_error"] or "") for j in dead)
    carlos_job, majo_job = (j["id"] for j in dead)
    assert [j["id"] for j in jobs(staff, person_id=majo)] == [majo_job]
    assert [j["id"] for j in jobs(staff, kind="reconcile")] == [carlos_job, majo_job]
    assert jobs(staff, kind="deliver_credentials") == []
    assert jobs(staff, state="pending") == []
    assert [j["id"] for j in jobs(staff, state="dead", person_id=carlos, kind="reconcile")] == [carlos_job]
    first = staff.get("/v1/jobs", limit=1).json()
    second = staff.get("/v1/jobs", limit=1, page_token=first["next_page_token"]).json()
    assert [first["items"][0]["id"], second["items"][0]["id"]] == [carlos_job, majo_job]
    assert second.get("next_page_token") is None

    one = staff.get(f"/v1/jobs/{majo_job}")
    assert one.status_code == 200, one.text
    assert one.json() | {"last_error": None} == dead[1] | {"last_error": None}
    assert one.json()["last_error"] == dead[1]["last_error"]

    retried = staff.post(f"/v1/jobs/{majo_job}/retry", {"reason": "Google ya responde"})
    assert retried.status_code == 200, retried.text
    assert (retried.json()["id"], retried.json()["state"], retried.json()["attempts"]) == (
        majo_job,
        "pending",
        0,
    )
    assert harness.get_user("1098765432@misena.edu.co") is None
    harness.drain()
    assert staff.get(f"/v1/jobs/{majo_job}").json()["state"] == "done"
    assert harness.get_user("1098765432@misena.edu.co") is not None
    assert harness.get_user("52123456@misena.edu.co") is None, "only the job retried ran"

    everything = staff.post("/v1/jobs/retry-dead", {"reason": "incidente resuelto"})
    assert everything.status_code == 200, everything.text
    assert everything.json() == {"action": "job.retry_dead", "count": 1}
    harness.drain()
    assert staff.get(f"/v1/jobs/{carlos_job}").json()["state"] == "done"
    assert harness.get_user("52123456@misena.edu.co") is not None
    assert staff.post("/v1/jobs/retry-dead").json() == {"action": "job.retry_dead", "count": 0}
    assert_problem(staff.post(f"/v1/jobs/{majo_job}/cancel"), 409)
    assert_problem(staff.post(f"/v1/jobs/{majo_job}/retry"), 409)


def test_a_pending_job_can_be_cancelled_and_then_does_not_run(harness: Harness) -> None:
    harness.post(enrolled(harness.clock() - timedelta(days=1)))
    staff = job_staff(harness)
    [pending] = jobs(staff, state="pending")
    assert_problem(staff.post(f"/v1/jobs/{pending['id']}/retry"), 409)

    cancelled = staff.post(f"/v1/jobs/{pending['id']}/cancel", {"reason": "duplicado"})
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert (body["id"], body["state"]) == (pending["id"], "cancelled")
    assert body["finished_at"] is not None
    assert "token:soporte-colas" in (body["last_error"] or "")
    assert harness.drain() == 0
    assert harness.get_user("1098765432@misena.edu.co") is None
    assert [j["id"] for j in jobs(staff, state="cancelled")] == [pending["id"]]
    assert_problem(staff.post(f"/v1/jobs/{pending['id']}/cancel"), 409)
