"""Log context: every line a job's turn writes names the job, every line a request causes names
the request (and the response says which), and neither context outlives its job or request.

The logs are production's JSON lines (tests/faults/conftest.py), read back as objects.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import structlog
from sqlalchemy import select
from starlette.types import Message, Receive, Scope, Send

from app.db.models import Job
from app.demo.environment import send_signed
from app.http.request_context import RequestContext
from app.logging_setup import get_logger
from app.runtime.worker import Worker
from tests.support.events import enrolled, person
from tests.support.harness import SECRET, Harness
from tests.support.service_process import json_lines

log = get_logger(__name__)
JOB_KEYS = ("job_id", "kind", "person_id")


def test_every_line_of_a_job_turn_carries_the_job_and_nothing_after_it(
    harness: Harness, production_logs: Path
) -> None:
    for document in ("1.098.765.432", "1.030.000.001"):
        assert harness.post(enrolled(harness.clock(), who=person(document))).status_code == 202
    worker = Worker(harness.services, "log-context-worker")
    turns: list[list[dict[str, Any]]] = []
    while True:
        before = len(json_lines(production_logs))
        if not worker.run_once():
            break
        turns.append(json_lines(production_logs)[before:])
    with harness.services.sessions() as session:
        jobs = {job.id: (job.id, job.kind, job.person_id) for job in session.scalars(select(Job))}
    assert len(turns) >= 2, "one reconcile per person"

    for lines in turns:
        [finished] = [line for line in lines if line["event"] == "job_finished"]
        expected = jobs[finished["job_id"]]
        assert len(lines) > 1, "the job itself logs, not only its outcome"
        for line in lines:
            assert tuple(line.get(key) for key in JOB_KEYS) == expected, line
    assert len({lines[-1]["person_id"] for lines in turns}) == 2

    log.info("after_the_jobs")
    after = json_lines(production_logs)[-1]
    assert after["event"] == "after_the_jobs"
    assert not set(JOB_KEYS) & set(after)


def test_one_request_id_on_every_line_of_a_request_and_on_its_response(
    harness: Harness, production_logs: Path
) -> None:
    given = "sofia-plus.req:42"
    with httpx.Client(headers={"X-Request-ID": given}) as client:
        first = send_signed(
            harness.webhook_url, SECRET, enrolled(harness.clock()), "msg_first", client=client
        )
    second = harness.post(enrolled(harness.clock(), ficha="3100200"), webhook_id="msg_second")
    with httpx.Client(headers={"X-Request-ID": ("no spaces or 200 characters " * 8).strip()}) as client:
        third = send_signed(
            harness.webhook_url, SECRET, enrolled(harness.clock()), "msg_third", client=client
        )
    assert [r.status_code for r in (first, second, third)] == [202, 202, 202]

    assert first.headers["x-request-id"] == given
    generated = [second.headers["x-request-id"], third.headers["x-request-id"]]
    assert all(len(value) == 32 and value != given for value in generated), "replaced, not echoed"
    assert generated[0] != generated[1]

    lines = json_lines(production_logs)
    for request_id, webhook_id in zip(
        [given, *generated], ["msg_first", "msg_second", "msg_third"], strict=True
    ):
        accepted = [
            line for line in lines if line["event"] == "webhook_accepted" and line["webhook_id"] == webhook_id
        ]
        assert [line["request_id"] for line in accepted] == [request_id]
        mine = [line for line in lines if line.get("request_id") == request_id]
        # The access line is written once the answer is out, by route, outside the webhook's own
        # context: it names the request, the rest of the request's lines name the webhook too.
        access = [line for line in mine if line["event"] == "http_request"]
        assert [(line["path"], line["status"]) for line in access] == [("/webhooks/sofia-plus", 202)]
        assert all(line.get("webhook_id") == webhook_id for line in mine if line not in access), mine
    assert not any("no spaces" in str(line) for line in lines), "an insane id is never logged"


def test_a_request_context_ends_with_its_request() -> None:
    """Several requests through the middleware in one context (as on a kept-alive connection):
    each gets its own id, and nothing stays bound after it."""
    seen: list[dict[str, Any]] = []

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(structlog.contextvars.get_contextvars())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    middleware = RequestContext(endpoint)
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    async def two_requests() -> dict[str, Any]:
        for headers in ([(b"x-request-id", b"abc-1")], []):
            await middleware({"type": "http", "headers": headers}, receive, send)
        return structlog.contextvars.get_contextvars()

    assert asyncio.run(two_requests()) == {}
    assert seen[0] == {"request_id": "abc-1"}
    assert seen[1]["request_id"] != "abc-1"
    starts = [dict(m["headers"]) for m in sent if m["type"] == "http.response.start"]
    assert [s[b"x-request-id"].decode() for s in starts] == [seen[0]["request_id"], seen[1]["request_id"]]
