"""``misena serve`` runs its worker in a child process it supervises: real processes, the
emulator as Google, SQLite and PostgreSQL.

The API's process handles no job (the worker's load cannot reach webhook latency through the
GIL), a killed child is replaced, and stopping ``serve`` stops the child too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import NullPool, text

from app.db.engine import make_engine
from app.demo.environment import send_signed
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (dead, not yet reaped by its parent) counts as gone.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"


def _worker_process(base: str) -> dict[str, Any]:
    status, body = get_json(base + "readyz")
    return body.get("worker_process", {}) if status == 200 else {}


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_serve_runs_the_worker_in_a_supervised_child_process(
    database_url: str,
    tenant: EmulatorControl,
    emulator_server: EmulatorServer,
    key_info: dict[str, Any],
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(key_info), encoding="utf-8")
    port, health = free_port(), free_port()
    base = f"http://127.0.0.1:{port}/"
    env = service_env(
        database_url, key_file, emulator_server.base_url,
        MISENA_PORT=str(port), MISENA_WORKER_HEALTH_PORT=str(health), MISENA_SCHEMA_ON_START="migrate",
    )  # fmt: skip
    log = tmp_path / "serve.log"
    serve = start_misena(["serve", "--host", "127.0.0.1"], env, log)
    try:
        assert wait_until(lambda: _worker_process(base).get("alive") is True, 60), log.read_text("utf-8")
        first = _worker_process(base)["pid"]
        assert first != serve.pid
        # The child's own probes answer on the worker health port, its loops in them.
        assert wait_until(lambda: get_json(f"http://127.0.0.1:{health}/livez")[0] == 200, 30)
        assert "worker-0" in get_json(f"http://127.0.0.1:{health}/livez")[1]["loops"]

        response = send_signed(base + "webhooks/sofia-plus", SECRET, enrolment_of(1))
        assert response.status_code == 202, response.text
        wanted = f"{document(1)}@misena.edu.co"
        assert wait_until(lambda: wanted in managed_accounts(emulator_server, key_info), 30)

        os.kill(first, signal.SIGKILL)
        assert wait_until(lambda: _worker_process(base).get("pid") not in (None, first), 30)
        assert wait_until(lambda: _worker_process(base).get("alive") is True, 30)
        replaced = _worker_process(base)
        assert replaced["restarts"] == 1
        assert replaced["last_exit_code"] == -signal.SIGKILL

        response = send_signed(base + "webhooks/sofia-plus", SECRET, enrolment_of(2))
        assert response.status_code == 202, response.text
        again = f"{document(2)}@misena.edu.co"
        assert wait_until(lambda: again in managed_accounts(emulator_server, key_info), 30)
        second = replaced["pid"]
    finally:
        _stop(serve)
    assert serve.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
    assert wait_until(lambda: not _alive(second), 10), "the worker child outlived serve"
    # Every job ran in a child: the queue records the worker (host:pid:thread) that took it.
    engine = make_engine(database_url, poolclass=NullPool)
    with engine.connect() as connection:
        taken = connection.execute(text("SELECT locked_by FROM jobs WHERE locked_by IS NOT NULL")).scalars()
        pids = {taker.split(":")[1] for taker in taken}
    engine.dispose()
    assert pids == {str(first), str(second)}
    lines = json_lines(log)
    assert {line["event"] for line in lines} >= {"worker_process_started", "worker_process_died"}
    died = [line for line in lines if line["event"] == "worker_process_died"]
    assert [line["pid"] for line in died] == [first]


def test_serve_without_worker_starts_no_child(
    database_url: str, emulator_server: EmulatorServer, key_info: dict[str, Any], tmp_path: Path
) -> None:
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(key_info), encoding="utf-8")
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    env = service_env(
        database_url, key_file, emulator_server.base_url, MISENA_PORT=str(port),
        MISENA_SCHEMA_ON_START="migrate",
    )  # fmt: skip
    log = tmp_path / "serve.log"
    serve = start_misena(["serve", "--host", "127.0.0.1", "--no-worker"], env, log)
    try:
        assert wait_until(lambda: get_json(base + "readyz")[0] == 200, 60), log.read_text("utf-8")
        response = send_signed(base + "webhooks/sofia-plus", SECRET, enrolment_of(3))
        assert response.status_code == 202
        time.sleep(2)  # many worker polls (MISENA_WORKER_POLL_SECONDS=0.1), were one running
        body = get_json(base + "readyz")[1]
    finally:
        _stop(serve)
    assert "worker_process" not in body
    assert body["jobs"]["pending"] == 1
    assert body["jobs"]["done"] == 0
    assert "worker_process_started" not in {line["event"] for line in json_lines(log)}


def test_serve_refuses_a_worker_health_port_equal_to_its_own(
    emulator_server: EmulatorServer, tmp_path: Path
) -> None:
    port = free_port()
    env = service_env(f"sqlite:///{tmp_path / 'm.db'}", tmp_path / "key.json", emulator_server.base_url,
                      MISENA_PORT=str(port))  # fmt: skip
    log = tmp_path / "serve.log"
    serve = start_misena(["serve", "--host", "127.0.0.1", "--worker-health-port", str(port)], env, log)
    assert serve.wait(timeout=60) == 2
    assert "--worker-health-port" in log.read_text("utf-8")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/livez", timeout=1)
