"""``misena serve`` started before ``misena migrate`` — what the Dockerfile's default command
and any platform that starts the app and the migration job together do.

Before the schema gate the worker threads died on ``no such table: jobs``; after migrating,
``/readyz`` said 200 and webhooks got 202, but nothing was processed until a restart. Real
processes here: the CLI as a user runs it, against SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import NullPool, text

from app.db.engine import make_engine
from app.demo.environment import send_signed
from tests.support.databases import postgres_schema
from tests.support.harness import SECRET
from tests.support.service_process import (
    document,
    enrolment_of,
    get_json,
    json_lines,
    managed_accounts,
    service_env,
    start_misena,
    wait_until,
)
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import EmulatorServer, free_port


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def is_ready(base: str) -> bool:
    return get_json(base + "readyz")[0] == 200


def migrate_then_ready(env: dict[str, str], base: str) -> None:
    """``misena migrate`` as an operator runs it; the waiting process is ready soon after."""
    migrate = subprocess.run(
        [sys.executable, "-m", "app", "migrate"], env=env, capture_output=True, timeout=60, check=False
    )
    assert migrate.returncode == 0, migrate.stderr.decode()
    assert wait_until(partial(is_ready, base), 10)


@pytest.fixture
def key_file(tmp_path: Path, key_info: dict[str, Any]) -> Path:
    path = tmp_path / "key.json"
    path.write_text(json.dumps(key_info), encoding="utf-8")
    return path


def test_serve_before_migrate_waits_then_works_without_a_restart(
    database_url: str,
    tenant: EmulatorControl,
    emulator_server: EmulatorServer,
    key_info: dict[str, Any],
    key_file: Path,
    tmp_path: Path,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    env = service_env(database_url, key_file, emulator_server.base_url, MISENA_PORT=str(port))
    log = tmp_path / "serve.log"
    serve = start_misena(["serve", "--host", "127.0.0.1"], env, log)
    try:
        assert wait_until(lambda: get_json(base + "livez")[0] == 200, 30), log.read_text("utf-8")
        status, ready = get_json(base + "readyz")
        assert status == 503
        assert "misena migrate" in ready["reason"]
        early = send_signed(base + "webhooks/sofia-plus", SECRET, enrolment_of(1), "msg_early")
        assert early.status_code == 503, early.text
        assert early.headers["retry-after"]

        migrate_then_ready(env, base)

        late = send_signed(base + "webhooks/sofia-plus", SECRET, enrolment_of(2), "msg_late")
        assert late.status_code == 202, late.text
        wanted = f"{document(2)}@misena.edu.co"
        assert wait_until(lambda: wanted in managed_accounts(emulator_server, key_info), 30)
        assert get_json(base + "livez")[0] == 200
    finally:
        _stop(serve)
    events = [line["event"] for line in json_lines(log)]  # every line is JSON
    assert "waiting_for_schema" in events
    assert "loop_failing" not in events, "the workers waited; they did not fail"


@pytest.mark.postgres
def test_replicas_started_together_with_migrate_on_start_migrate_once(
    tenant: EmulatorControl,
    emulator_server: EmulatorServer,
    key_info: dict[str, Any],
    key_file: Path,
    tmp_path: Path,
) -> None:
    with postgres_schema() as url:
        ports = [free_port(), free_port()]
        processes = [
            start_misena(
                ["serve", "--host", "127.0.0.1"],
                service_env(
                    url,
                    key_file,
                    emulator_server.base_url,
                    MISENA_PORT=str(port),
                    MISENA_SCHEMA_ON_START="migrate",
                ),
                tmp_path / f"serve-{port}.log",
            )
            for port in ports
        ]
        try:
            for port in ports:
                ready = partial(is_ready, f"http://127.0.0.1:{port}/")
                assert wait_until(ready, 60), (tmp_path / f"serve-{port}.log").read_text("utf-8")
            engine = make_engine(url, poolclass=NullPool)
            with engine.connect() as connection:
                versions = connection.execute(text("SELECT count(*) FROM alembic_version")).scalar()
            engine.dispose()
        finally:
            for process in processes:
                _stop(process)
    assert versions == 1
    migrated = [
        line for port in ports for line in json_lines(tmp_path / f"serve-{port}.log")
        if line["event"] == "schema_migrated"
    ]  # fmt: skip
    assert len(migrated) == 2  # both ran the step; the advisory lock made the second a no-op


def test_a_worker_started_before_migrate_reports_why_and_goes_on(
    database_url: str,
    tenant: EmulatorControl,
    emulator_server: EmulatorServer,
    key_info: dict[str, Any],
    key_file: Path,
    tmp_path: Path,
) -> None:
    """``misena worker`` alone: its health port says why it idles, then it works, no restart."""
    health = free_port()
    env = service_env(database_url, key_file, emulator_server.base_url)
    log = tmp_path / "worker.log"
    worker = start_misena(["worker", "--health-port", str(health), "--threads", "1"], env, log)
    base = f"http://127.0.0.1:{health}/"
    try:
        assert wait_until(lambda: get_json(base + "livez")[0] == 200, 30), log.read_text("utf-8")
        status, ready = get_json(base + "readyz")
        assert status == 503
        assert "misena migrate" in ready["reason"]
        migrate_then_ready(env, base)
        metrics = httpx.get(base + "metrics", timeout=5).text
    finally:
        _stop(worker)
    assert 'misena_loop_heartbeat_age_seconds{loop="worker-0"}' in metrics
    assert "loop_failing" not in [line["event"] for line in json_lines(log)]
