"""The service's log stream is JSON lines and nothing else, whoever writes them.

A real ``misena serve`` (the API, and the worker in its child process, both on one stream)
starts against an empty database and migrates it (``MISENA_SCHEMA_ON_START=migrate``: Alembic's
lines), answers a webhook, an unknown path holding a document number and a search whose query
holds one, provisions the account in the emulator and emails the credentials. Every line of its
stdout and stderr must parse as one JSON object with ``level``, ``event`` and ``timestamp``;
uvicorn's and Alembic's lines among them; one access line per request with the route, never the
query; and the conftest checks the stream for secrets, documents and personal addresses. The
worker's own ``/metrics`` (its health port) has its Google calls, quota and loop heartbeats.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.demo.environment import send_signed
from sofia_sync.normalize import mask_document
from tests.support.harness import SECRET
from tests.support.service_process import (
    document,
    enrolment_of,
    get_json,
    json_lines,
    service_env,
    start_misena,
    wait_until,
)
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import EmulatorServer, free_port


@pytest.fixture
def key_file(tmp_path: Path, key_info: dict[str, Any]) -> Path:
    path = tmp_path / "key.json"
    path.write_text(json.dumps(key_info), encoding="utf-8")
    return path


def metric(base: str, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples with ``labels`` at ``base``'s ``/metrics`` (0 if none)."""
    try:
        text = httpx.get(base + "metrics", timeout=5).text
    except httpx.TransportError:
        return 0.0
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_every_line_misena_serve_writes_is_json_and_the_worker_exports_its_metrics(
    tenant: EmulatorControl,
    emulator_server: EmulatorServer,
    key_file: Path,
    tmp_path: Path,
) -> None:
    port, health_port = free_port(), free_port()
    api, worker = f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{health_port}/"
    env = service_env(
        f"sqlite:///{tmp_path / 'misena.db'}",
        key_file,
        emulator_server.base_url,
        MISENA_PORT=str(port),
        MISENA_WORKER_HEALTH_PORT=str(health_port),
        MISENA_SCHEMA_ON_START="migrate",
        MISENA_LOG_LEVEL="info",
    )
    log = tmp_path / "serve.log"
    serve = start_misena(["serve", "--host", "127.0.0.1"], env, log)
    try:
        assert wait_until(lambda: get_json(api + "readyz")[0] == 200, 30), log.read_text("utf-8")
        accepted = send_signed(api + "webhooks/sofia-plus", SECRET, enrolment_of(1), "msg_json_logs")
        assert accepted.status_code == 202, accepted.text
        assert httpx.get(api + f"no/such/{document(1)}").status_code == 404
        assert httpx.get(api + "v1/people", params={"document": document(1)}).status_code == 401
        sent = {"api": "gmail", "method": "users.messages.send", "status": "200"}
        assert wait_until(lambda: metric(worker, "misena_google_requests_total", **sent) >= 1, 60)

        created = {"api": "directory", "method": "users.insert", "status": "200"}
        assert metric(worker, "misena_google_requests_total", **created) >= 1
        assert metric(worker, "misena_google_request_duration_seconds_count", api="directory") >= 2
        assert metric(worker, "misena_loop_heartbeat_age_seconds", loop="worker-0") >= 0
        assert metric(worker, "misena_quota_wait_seconds_count", bucket="directory.creates") >= 1
        assert metric(worker, "misena_jobs_total", kind="reconcile") >= 1
        assert metric(worker, "misena_credentials", state="sent") == 1
        assert metric(worker, "misena_database_up") == 1
        webhooks = {"route": "/webhooks/sofia-plus", "method": "POST", "status": "202"}
        assert metric(api, "misena_http_requests_total", **webhooks) == 1
        assert metric(api, "misena_google_requests_total") == 0, "the API process made no Google call"
    finally:
        _stop(serve)

    lines = json_lines(log)  # a line that is not one JSON object fails here
    assert all(isinstance(line, dict) and {"level", "event", "timestamp"} <= set(line) for line in lines)
    loggers = {line.get("logger", "") for line in lines}
    assert any(name.startswith("alembic") for name in loggers), "Alembic's lines are in the stream"
    assert any("Running upgrade" in line["event"] for line in lines)
    assert "uvicorn.error" in loggers, "uvicorn's server lines are in the stream"
    events = [line["event"] for line in lines]
    assert {"worker_process_started", "job_finished"} <= set(events), "the parent's and the child's"
    access = [
        (line["method"], line["path"], line["status"]) for line in lines if line["event"] == "http_request"
    ]
    assert ("POST", "/webhooks/sofia-plus", 202) in access
    assert ("GET", "/v1/people", 401) in access, "the route, without the query that held a document"
    assert ("GET", f"/no/such/{mask_document(document(1))}", 404) in access, "an unknown path, masked"
    assert not [path for _, path, _ in access if "?" in path]
