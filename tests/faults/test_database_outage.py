"""PostgreSQL unreachable mid-stream: 503 while down, nothing acknowledged is lost, and the
workers that were running carry on by themselves once it is back — no restart.

The database sits behind a TCP proxy the test cuts (never the machine's own server). Before
the supervised loops, both worker threads died on the first ``OperationalError`` and the queue
stayed full while ``/readyz`` and ``/livez`` answered 200.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from app.db.engine import make_engine
from app.db.migrate import upgrade
from app.demo.environment import send_signed
from app.http.main import create_app
from app.runtime.services import build_services
from app.runtime.worker import WorkerPool
from tests.support.databases import postgres_schema
from tests.support.harness import SECRET, service_settings
from tests.support.service_process import (
    check_credentials,
    delivered_people,
    document,
    enrolment_of,
    get_json,
    managed_accounts,
    wait_until,
)
from tests.support.tcp_proxy import TcpProxy
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import BackgroundServer, EmulatorServer

PEOPLE = 60
OUTAGE_SECONDS = 6.0

pytestmark = pytest.mark.postgres


class Sofia:
    """Posts enrolments steadily, like Sofia Plus: a non-2xx is retried later, a 2xx never."""

    def __init__(self, url: str, people: range) -> None:
        self._url = url
        self.waiting = list(people)
        self.acknowledged: list[int] = []
        self.statuses: dict[int, int] = {}
        self.errors: list[str] = []

    def post_round(self, pause: float) -> None:
        retry: list[int] = []
        for n in self.waiting:
            try:
                status = send_signed(self._url, SECRET, enrolment_of(n), f"msg_outage_{n}").status_code
            except httpx.TransportError as exc:
                self.errors.append(type(exc).__name__)
                retry.append(n)
                continue
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if 200 <= status < 300:
                self.acknowledged.append(n)
            else:
                retry.append(n)
            time.sleep(pause)
        self.waiting = retry


@dataclass
class Outage:
    """What the test saw while the line was cut and after it was restored."""

    ready_while_down: int = 0
    webhook_while_down: int = 0
    loops_failing: list[str] = field(default_factory=list)
    ready_after: float = 0.0
    drained_after: float = 0.0


def run_outage(
    sofia: Sofia, proxy: TcpProxy, base_url: str, pool: WorkerPool, accounts: Callable[[], set[str]]
) -> Outage:
    seen = Outage()
    first = threading.Thread(target=sofia.post_round, args=(0.05,))
    first.start()
    time.sleep(1.0)
    proxy.cut()
    seen.ready_while_down = get_json(base_url + "readyz")[0]
    seen.webhook_while_down = send_signed(
        base_url + "webhooks/sofia-plus", SECRET, enrolment_of(PEOPLE), "msg_during"
    ).status_code
    time.sleep(OUTAGE_SECONDS)
    seen.loops_failing = [n for n, b in pool.heartbeats.snapshot().items() if b.failing_since is not None]
    proxy.restore()
    restored_at = time.monotonic()
    first.join()
    assert wait_until(lambda: get_json(base_url + "readyz")[0] == 200, 20)
    seen.ready_after = time.monotonic() - restored_at
    for _ in range(5):  # Sofia retries whatever was not acknowledged
        if sofia.waiting:
            sofia.post_round(0.0)
    expected = {f"{document(n)}@misena.edu.co" for n in sofia.acknowledged}
    assert wait_until(lambda: expected <= accounts(), 90, interval=0.5)
    assert wait_until(lambda: delivered_people(pool.services.sessions) >= len(expected), 30)
    seen.drained_after = time.monotonic() - restored_at
    return seen


def test_workers_recover_by_themselves_after_the_database_comes_back(
    tenant: EmulatorControl,
    emulator_server: EmulatorServer,
    key_info: dict[str, Any],
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(key_info), encoding="utf-8")
    with postgres_schema() as direct_url, TcpProxy(5432) as proxy:
        upgrade(make_engine(direct_url))
        url = make_url(direct_url).set(port=proxy.port).render_as_string(hide_password=False)
        settings = service_settings(
            url, key_file, emulator_server.base_url,
            worker_threads=2, worker_poll_seconds=0.1, job_lease_seconds=5,
        )  # fmt: skip
        engine = make_engine(url, connect_args={"connect_timeout": 2}, pool_size=4, max_overflow=4)
        services = build_services(settings, engine=engine)
        pool = WorkerPool(services)
        server = BackgroundServer(create_app(services), name="misena")
        server.start()
        pool.start()
        try:
            sofia = Sofia(server.base_url + "webhooks/sofia-plus", range(PEOPLE))
            seen = run_outage(
                sofia, proxy, server.base_url, pool, lambda: set(managed_accounts(emulator_server, key_info))
            )
            credentials = check_credentials(tenant, emulator_server, key_info, sofia.acknowledged)
        finally:
            pool.stop()
            server.stop()
            engine.dispose()
    print(f"\noutage {OUTAGE_SECONDS}s: {sofia.statuses}, refused {proxy.refused}, {seen}, {credentials}")
    assert seen.ready_while_down == 503
    assert seen.webhook_while_down == 503
    assert sofia.statuses.get(503, 0) > 0, "the outage never reached the webhook"
    assert set(sofia.statuses) <= {202, 503}, "every answer is 202 or 503 — never a 500"
    assert sorted(sofia.acknowledged) == list(range(PEOPLE))
    assert set(seen.loops_failing) >= {"worker-0", "worker-1"}, "the workers met the outage"
    assert pool.dead_threads() == []
    assert all(b.failing_since is None for b in pool.heartbeats.snapshot().values())
    assert len(managed_accounts(emulator_server, key_info)) == PEOPLE
    assert credentials.working == PEOPLE
