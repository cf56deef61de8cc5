"""Dead letters and their retry, as IT staff drive them: one retry rule (the queue's) behind
``POST /v1/jobs/retry-dead``, ``/v1/jobs/{id}/retry`` and ``misena jobs retry``, and
``MISENA_JOB_MAX_ATTEMPTS`` deciding how many attempts a job gets before it is dead-lettered."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from app.cli.main import cli
from app.staff.tokens import Scope
from tests.support.events import enrolled
from tests.support.harness import Harness, HarnessFactory
from tests.support.staff_api import INVALID_INSERT, api_client, jobs, person_id
from tests.support.staff_client import cli_environment

MAJO = "TI:1098765432"
#: Google answers "already exists" to every creation while the account cannot be read: the
#: reconcile gives up for now (retryable), the queue retries it with backoff.
NEVER_READABLE = {"method": "directory.users.insert", "status": 409, "reason": "duplicate",
                  "message": "Entity already exists.", "rate": 1.0}  # fmt: skip


def dead_with_work_pending(harness: Harness) -> tuple[int, int]:
    """A reconcile dead-lettered by a permanent refusal, then the same work queued again by a
    new event before anyone retried it: (dead job id, pending job id)."""
    harness.emulator.set_faults([INVALID_INSERT])
    harness.deliver(enrolled(harness.clock() - timedelta(days=2)))
    harness.post(enrolled(harness.clock() - timedelta(days=1), ficha="3100200"))
    staff = api_client(harness, Scope.ACCOUNTS_READ)
    [dead] = jobs(staff, state="dead")
    [pending] = jobs(staff, state="pending")
    assert (dead["person_id"], pending["person_id"]) == (person_id(harness, MAJO),) * 2
    return dead["id"], pending["id"]


def test_retrying_every_dead_job_closes_one_whose_work_is_already_pending(harness: Harness) -> None:
    dead, pending = dead_with_work_pending(harness)
    staff = api_client(harness, Scope.ACCOUNTS_READ, Scope.JOBS_WRITE)

    answer = staff.post("/v1/jobs/retry-dead", {"reason": "Google ya responde"})
    assert answer.json() == {"action": "job.retry_dead", "count": 1}
    assert jobs(staff, state="dead") == [], "nothing is left dead: the pending job does its work"
    assert staff.get(f"/v1/jobs/{dead}").json()["state"] == "done"
    assert "Invalid Input" in (staff.get(f"/v1/jobs/{dead}").json()["last_error"] or "")
    assert [j["id"] for j in jobs(staff, state="pending")] == [pending]
    auditor = api_client(harness, Scope.ADMIN, name="auditoria")
    [entry] = auditor.get("/v1/audit-events", action="job.retry_dead").json()["items"]
    assert entry["details"] == {"jobs": [dead]}
    harness.drain()
    assert harness.get_user("1098765432@misena.edu.co") is not None


def test_retrying_one_dead_job_at_the_terminal_follows_the_same_rule(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead, pending = dead_with_work_pending(harness)
    with cli_environment(harness, monkeypatch):
        result = CliRunner().invoke(cli, ["jobs", "retry", str(dead), "--reason", "Ticket 4711", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["state"] == "done"
    staff = api_client(harness, Scope.ADMIN)
    assert jobs(staff, state="dead") == []
    assert [j["id"] for j in jobs(staff, state="pending")] == [pending]
    [entry] = staff.get("/v1/audit-events", action="job.retry").json()["items"]
    assert (entry["target"], entry["reason"]) == (f"job:{dead}", "Ticket 4711")


def test_max_attempts_setting_dead_letters_a_job_after_that_many_attempts(
    make_harness: HarnessFactory,
) -> None:
    harness = make_harness(job_max_attempts=3)
    harness.emulator.set_faults([NEVER_READABLE])
    assert harness.post(enrolled(harness.clock() - timedelta(days=1))).status_code == 202
    staff = api_client(harness, Scope.ACCOUNTS_READ)
    states = []
    for _ in range(3):
        assert harness.drain() == 1
        [job] = jobs(staff, kind="reconcile")
        states.append((job["state"], job["attempts"], job["max_attempts"]))
        harness.clock.advance(hours=2)  # past any backoff
    assert states == [("pending", 1, 3), ("pending", 2, 3), ("dead", 3, 3)]
    assert harness.drain() == 0, "dead-lettered: not run a fourth time"
    assert harness.emulator.calls("directory.users.insert", 409) == 6  # two tries an attempt
