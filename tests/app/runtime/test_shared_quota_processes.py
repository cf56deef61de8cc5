"""Three ``misena worker`` processes on PostgreSQL, every one with the same default-style settings:
together they stay under the one configured creation rate (counted by the emulator) and together
they reach at least 90 % of it — no share of the quota is divided between them by hand."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.clock import system_clock
from bench.senders import most_in_any_window
from tests.support.databases import postgres_schema
from tests.support.harness import Harness, HarnessFactory
from tests.support.service_process import (
    delivered_people,
    enrolment_of,
    service_env,
    start_misena,
    wait_until,
)

PEOPLE = 60
PROCESSES = 3
#: The tenant's creation budget, configured once, the same in every process.
CREATES_PER_SECOND = 4.0
#: Any window of this many seconds holds at most rate * window + 1 (GCRA's burst of one) grants;
#: one more is allowed for arrival jitter (a call granted 0.25 s after another can arrive 0.24 s
#: after it). Three processes pacing alone would put about 3 * 4 * 2 = 24 in such a window.
WINDOW = 2.0
BOUND = int(CREATES_PER_SECOND * WINDOW) + 1 + 1


@pytest.fixture
def database_url() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


@pytest.fixture
def harness(make_harness: HarnessFactory) -> Harness:
    return make_harness(clock=system_clock)


@pytest.mark.postgres
def test_worker_processes_share_one_creation_budget(
    harness: Harness, database_url: str, tmp_path: Path
) -> None:
    for n in range(PEOPLE):
        assert harness.post(enrolment_of(n)).status_code == 202
    env = service_env(
        database_url,
        Path(str(harness.services.settings.google_key_file)),
        harness.emulator_server.base_url,
        MISENA_GOOGLE_CREATES_PER_SECOND=str(CREATES_PER_SECOND),
        MISENA_GMAIL_SENDS_PER_MINUTE="6000",
        MISENA_WORKER_THREADS="4",
        MISENA_WORKER_HEALTH_PORT="0",
    )
    workers = [start_misena(["worker"], env, tmp_path / f"worker-{n}.log") for n in range(PROCESSES)]
    try:
        assert wait_until(lambda: delivered_people(harness.services.sessions) == PEOPLE, timeout=240)
    finally:
        for process in workers:
            process.terminate()
        for process in workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    # Every insert Google counted: the accepted ones, and the first few into the tenant's new org
    # unit, which Google refuses (the unit is created then) but counts against the quota all the same.
    created = harness.emulator.quota_events("user-creates")
    assert harness.emulator.calls("directory.users.insert", 200) == PEOPLE
    assert harness.emulator.calls("directory.users.insert", 403) == 0
    assert most_in_any_window(sorted(created), WINDOW) <= BOUND
    reached = (len(created) - 1) / (max(created) - min(created))
    assert reached >= 0.9 * CREATES_PER_SECOND
