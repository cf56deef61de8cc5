"""Worker processes SIGKILLed at random moments, several times, while enrolments stream in.

What must hold afterwards: every acknowledged person has exactly one account (none lost, none
duplicated), and the last credentials email each received holds a password that signs in. A
kill between "password set" and "recorded as sent" makes the retry send a second email with a
fresh password — allowed, and counted. The lease is short, so a killed worker's job is taken
over within seconds (the lease keeper renews it while a live worker runs it).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from app.db.engine import make_engine
from app.db.migrate import upgrade
from app.demo.environment import send_signed
from app.http.main import create_app
from app.runtime.services import build_services
from tests.support.databases import postgres_schema
from tests.support.harness import SECRET, service_settings
from tests.support.service_process import (
    check_credentials,
    delivered_people,
    document,
    enrolment_of,
    managed_accounts,
    service_env,
    start_misena,
    wait_until,
)
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import BackgroundServer, EmulatorServer

PEOPLE = 80
KILLS = 6
WORKERS = 2

pytestmark = pytest.mark.postgres


class Workers:
    """``misena worker`` processes that can be killed and replaced."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self._env = env
        self._logs = logs
        self.started = 0
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        self.started += 1
        log = self._logs / f"worker-{self.started}.log"
        self.processes.append(
            start_misena(["worker", "--health-port", "0", "--threads", "2"], self._env, log)
        )

    def kill_one(self, rng: random.Random) -> None:
        victim = self.processes.pop(rng.randrange(len(self.processes)))
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def test_killed_workers_lose_nothing_and_duplicate_nothing(
    tenant: EmulatorControl,
    emulator_server: EmulatorServer,
    key_info: dict[str, Any],
    tmp_path: Path,
) -> None:
    rng = random.Random(11)
    tenant.configure(latency_ms=25)  # every Google call takes a while: kills land mid-job
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(key_info), encoding="utf-8")
    with postgres_schema() as url:
        engine = make_engine(url)
        upgrade(engine)
        settings = service_settings(url, key_file, emulator_server.base_url)
        services = build_services(settings, engine=engine)
        api = BackgroundServer(create_app(services), name="misena-api")
        api.start()
        workers = Workers(
            service_env(url, key_file, emulator_server.base_url, MISENA_JOB_LEASE_SECONDS="3"), tmp_path
        )
        try:
            for _ in range(WORKERS):
                workers.start()
            webhook = api.base_url + "webhooks/sofia-plus"
            for n in range(PEOPLE):
                assert send_signed(webhook, SECRET, enrolment_of(n), f"msg_crash_{n}").status_code == 202
            time.sleep(1.0)
            for _ in range(KILLS):
                time.sleep(rng.uniform(0.5, 2.0))
                workers.kill_one(rng)
                workers.start()
            expected = {f"{document(n)}@misena.edu.co" for n in range(PEOPLE)}
            assert wait_until(lambda: delivered_people(services.sessions) == PEOPLE, 120, interval=0.5)
            accounts = managed_accounts(emulator_server, key_info)
            credentials = check_credentials(tenant, emulator_server, key_info, range(PEOPLE))
            dead = services.queue.counts()["dead"]
        finally:
            workers.stop()
            api.stop()
            engine.dispose()
    print(f"\n{KILLS} SIGKILLs over {workers.started} worker processes: {credentials}, dead jobs {dead}")
    assert set(accounts) == expected  # none lost, none extra
    assert len(accounts) == PEOPLE
    assert credentials.working == PEOPLE
    assert dead == 0
