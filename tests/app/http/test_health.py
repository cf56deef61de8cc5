"""Health as an orchestrator reads it: ``/livez`` fails only for a wedged process, ``/readyz``
says why it is not ready and how the queue is doing, and loops survive their failures."""

from __future__ import annotations

import io
import json
import logging
import random
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import structlog
from structlog.testing import capture_logs

from app.clock import system_clock
from app.demo.environment import send_signed
from app.http.main import create_app
from app.logging_setup import configure_logging
from app.runtime.services import build_services
from app.runtime.supervision import Backoff, Heartbeats, supervise
from app.runtime.worker import WorkerPool
from tests.support.harness import SECRET, Harness, HarnessFactory
from tests.support.service_process import enrolment_of, wait_until
from workspace.emulator.server import BackgroundServer


def test_a_loop_survives_failures_and_logs_once_per_episode() -> None:
    stop = threading.Event()
    turns: list[int] = []

    def turn() -> float:
        turns.append(len(turns))
        if len(turns) <= 3 or 6 <= len(turns) <= 7:
            raise RuntimeError("boom")  # two failure episodes: turns 1-3 and 6-7
        if len(turns) >= 10:
            stop.set()
        return 0.0

    beats = Heartbeats()
    with capture_logs() as logs:
        supervise("worker-0", turn, stop, beats, backoff=Backoff(base=0.001, cap=0.01), rng=random.Random(1))
    events = [entry["event"] for entry in logs]
    assert len(turns) == 10
    assert events == ["loop_failing", "loop_recovered", "loop_failing", "loop_recovered"]
    assert [entry.get("failures") for entry in logs if entry["event"] == "loop_recovered"] == [3, 2]
    assert beats.snapshot()["worker-0"].failing_since is None


def test_backoff_doubles_up_to_its_cap_with_jitter() -> None:
    backoff = Backoff(base=0.5, cap=30.0, jitter=0.5)
    rng = random.Random(0)
    delays = [backoff.delay(n, rng) for n in range(1, 12)]
    assert 0.25 <= delays[0] <= 0.75
    assert all(15.0 <= d <= 45.0 for d in delays[7:])  # capped at 30 ± 50%


@pytest.fixture
def served(make_harness: HarnessFactory) -> Iterator[tuple[Harness, str]]:
    """The service with its worker pool in the process, as ``misena serve`` runs it."""
    harness = make_harness(worker_threads=1, worker_poll_seconds=0.05, worker_stall_seconds=0.5)
    server = BackgroundServer(create_app(harness.services, run_worker=True), name="misena-pool")
    server.start()
    yield harness, server.base_url
    server.stop()


def test_livez_fails_while_a_worker_is_wedged_and_recovers_after(served: tuple[Harness, str]) -> None:
    harness, base = served
    assert httpx.get(base + "livez").status_code == 200
    harness.emulator.configure(latency_ms=2500)  # every Google call now takes 2.5 s: a wedged job
    assert harness.post(enrolment_of(1)).status_code == 202
    assert wait_until(lambda: httpx.get(base + "livez").status_code == 503, 10)
    body = httpx.get(base + "livez").json()
    assert body["status"] == "stalled"
    assert body["stalled"] == ["worker-0"]
    harness.emulator.configure(latency_ms=0)
    assert wait_until(lambda: httpx.get(base + "livez").status_code == 200, 30)


def test_readyz_reports_the_queue(served: tuple[Harness, str]) -> None:
    _, base = served
    ready = httpx.get(base + "readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ok"
    assert set(body["jobs"]) >= {"pending", "running", "done", "dead"}
    assert body["dead_jobs"] == 0
    assert body["oldest_due_job_seconds"] == 0
    assert body["workers"] == {"loops": 4, "failing": [], "dead": []}
    metrics = httpx.get(base + "metrics").text
    assert 'misena_jobs{kind="reconcile",state="pending"}' in metrics
    assert "misena_oldest_due_job_seconds" in metrics
    assert 'misena_loop_heartbeat_age_seconds{loop="worker-0"}' in metrics
    assert 'misena_loop_heartbeat_age_seconds{loop="signin-checker"}' in metrics
    assert "misena_database_up 1.0" in metrics


def test_readyz_names_a_schema_that_is_behind(harness: Harness) -> None:
    """A process that starts against an older schema (here: as if only 0001_initial were applied)."""
    with harness.services.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0001_initial'")
    services = build_services(harness.services.settings, engine=harness.services.engine)
    server = BackgroundServer(create_app(services), name="misena-behind")
    server.start()
    try:
        ready = httpx.get(server.base_url + "readyz")
        refused = send_signed(server.base_url + "webhooks/sofia-plus", SECRET, enrolment_of(2))
    finally:
        server.stop()
    assert ready.status_code == 503
    assert "0001_initial" in ready.json()["reason"]
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"]


def test_readyz_keeps_the_json_log_parseable(harness: Harness) -> None:
    """Each probe used to write Alembic's "Context impl ..." lines into the JSON log."""
    stream = io.StringIO()
    saved = structlog.get_config()
    configure_logging(stream=stream)
    try:
        for _ in range(3):
            assert httpx.get(harness.base_url + "readyz").status_code == 200
    finally:
        structlog.configure(**saved)
        logging.basicConfig(stream=sys.stderr, force=True)
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    assert all(isinstance(json.loads(line), dict) for line in lines)
    assert "Context impl" not in stream.getvalue()


def test_a_running_job_keeps_its_lease_while_a_short_lease_expires(make_harness: HarnessFactory) -> None:
    """The lease keeper renews a long job's lease, so a second worker never runs it twice."""
    # The machine's clock: the point is a lease that really expires while the job runs.
    harness = make_harness(
        clock=system_clock, worker_threads=1, worker_poll_seconds=0.05, job_lease_seconds=0.6
    )
    pool = WorkerPool(harness.services)
    harness.emulator.configure(latency_ms=1500)  # the reconcile outlives its lease twice over
    assert harness.post(enrolment_of(3)).status_code == 202
    pool.start()
    try:
        assert wait_until(lambda: harness.services.queue.counts()["running"] == 1, 5)
        time.sleep(1.0)  # past the 0.6 s lease: without renewal the job would be up for grabs
        taken = harness.services.queue.claim("intruder", limit=1)
    finally:
        harness.emulator.configure(latency_ms=0)
        pool.stop()
    assert taken == []
