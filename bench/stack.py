"""What the end-to-end benchmarks start: the emulator, a private database, misena's processes.

Why processes and environment only: these benchmarks measure whatever misena's main holds when
they run (its pacing, its thread defaults, its queue), so they drive it the way an operator does
— ``misena migrate``, ``misena serve --no-worker``, ``misena worker`` with ``MISENA_*`` variables,
signed webhooks over HTTP — and read the outcome from the emulator's control plane, never from
misena's internals. Everything listens on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import NullPool, text
from sqlalchemy.engine import make_url

from app.db.engine import make_engine
from app.demo.environment import new_webhook_secret, send_signed
from sofia_sync.policy import SOFIA_SCHEMA_DEFINITION
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import free_port, start_in_own_process

RESULTS = Path(__file__).parent / "results"
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ADMIN = "admin@misena.edu.co"
DOMAIN = "misena.edu.co"


# --- the emulator ------------------------------------------------------------------------------


@dataclass
class Emulator:
    process: subprocess.Popen[bytes]
    base: str
    key_file: Path
    control: EmulatorControl

    def stop(self) -> None:
        self.control.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)


@contextmanager
def emulator(workdir: Path, latency_ms: int, **config: Any) -> Iterator[Emulator]:
    """A fresh emulator in its own process, Google's limits on (unless ``config`` turns them),
    every call answered after ``latency_ms``."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    key_file = workdir / f"key-{port}.json"
    command = [sys.executable, "-m", "app", "emulator", "--port", str(port), "--key-file", str(key_file)]
    started = Emulator(start_in_own_process(command, base), base, key_file, EmulatorControl(base))
    try:
        started.control.configure(latency_ms=latency_ms, **config)
        yield started
    finally:
        started.stop()


def seed_tenant(
    control: EmulatorControl, *, senders: list[str], org_units: list[str], groups: list[str]
) -> None:
    """What a SENA tenant has before an intake: the Sofia Plus schema, the sender mailboxes, the
    regional org units and the fichas' groups (the baselines create none of these)."""
    control.seed(
        org_units=org_units,
        schemas=[SOFIA_SCHEMA_DEFINITION],
        users=[
            {
                "primaryEmail": sender,
                "password": uuid.uuid4().hex,
                "name": {"givenName": "Notificaciones", "familyName": "Mi SENA"},
            }
            for sender in senders
        ],
        groups=[{"email": group, "name": group.split("@")[0]} for group in groups],
    )
    control.clear_counters()


# --- a private PostgreSQL database -------------------------------------------------------------


@contextmanager
def private_database() -> Iterator[str]:
    """A brand-new database on the machine's PostgreSQL, dropped afterwards (only ours)."""
    name = f"misena_bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- misena's processes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    """How to reach one misena deployment: its database, Google (the emulator), its secret."""

    database_url: str
    emulator: Emulator
    senders: tuple[str, ...]
    secret: str
    extra: tuple[tuple[str, str], ...] = ()

    def env(self) -> dict[str, str]:
        """The same ``MISENA_*`` for every process: nothing tuned per replica."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("MISENA_")}
        env |= {
            "MISENA_DATABASE_URL": self.database_url,
            "MISENA_WEBHOOK_SECRETS": self.secret,
            "MISENA_GOOGLE_KEY_FILE": str(self.emulator.key_file),
            "MISENA_GOOGLE_API_ENDPOINT": self.emulator.base,
            "MISENA_GOOGLE_ADMIN": ADMIN,
            "MISENA_MAIL_SENDERS": ",".join(self.senders),
            **dict(self.extra),
        }
        return env


def new_secret() -> str:
    return new_webhook_secret()


class Fleet:
    """``misena serve --no-worker`` plus N ``misena worker`` processes, logs under ``logs``."""

    def __init__(self, service: Service, logs: Path) -> None:
        self.service = service
        self.logs = logs
        self.processes: list[subprocess.Popen[bytes]] = []
        self.api_port = free_port()
        self.health_ports: list[int] = []

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}/webhooks/sofia-plus"

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> None:
        with (self.logs / f"{name}.log").open("ab") as out:
            command = [sys.executable, "-m", "app", *args]
            self.processes.append(subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT))

    def start(self, workers: int) -> None:
        env = self.service.env()
        subprocess.run([sys.executable, "-m", "app", "migrate"], env=env, check=True, capture_output=True)
        api = ["serve", "--no-worker", "--host", "127.0.0.1"]
        self._start("api", api, env | {"MISENA_PORT": str(self.api_port)})
        for n in range(workers):
            port = free_port()
            self.health_ports.append(port)
            self._start(f"worker-{n + 1}", ["worker", "--host", "127.0.0.1", "--health-port", str(port)], env)
        urls = [f"http://127.0.0.1:{self.api_port}/readyz"]
        urls += [f"http://127.0.0.1:{port}/readyz" for port in self.health_ports]
        deadline = time.monotonic() + 90
        for url in urls:
            while not _ready(url):
                if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                    raise RuntimeError(f"misena did not become ready ({url}); see {self.logs}")
                time.sleep(0.2)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def post_all(url: str, secret: str, events: list[dict[str, Any]], *, connections: int = 4) -> list[int]:
    """Post every event signed, ``connections`` at a time (as Sofia Plus's sender pool would);
    returns the statuses in event order."""
    statuses = [0] * len(events)
    lock = threading.Lock()
    pending = iter(range(len(events)))

    def run() -> None:
        with httpx.Client() as client:
            while True:
                with lock:
                    index = next(pending, None)
                if index is None:
                    return
                statuses[index] = send_signed(url, secret, events[index], client=client).status_code

    threads = [threading.Thread(target=run) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def wait_for(condition: Callable[[], bool], *, stall_seconds: float, progress: Callable[[], int]) -> bool:
    """Poll until ``condition``; give up once ``progress`` has not moved for ``stall_seconds``."""
    last, moved = progress(), time.monotonic()
    while not condition():
        time.sleep(0.5)
        now = progress()
        if now != last:
            last, moved = now, time.monotonic()
        elif time.monotonic() - moved > stall_seconds:
            return False
    return True


# --- reporting ---------------------------------------------------------------------------------


def machine() -> str:
    cpus = os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    processor = platform.processor() or platform.machine()
    python = platform.python_version()
    return f"{socket.gethostname()} · {processor} · {cpus} CPUs · {memory:.0f} GiB · Python {python}"


def git_commit() -> str:
    """The commit measured, ``+dirty`` when tracked files differ from it."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    here = Path(__file__).parent
    answer = subprocess.run([git, "rev-parse", "HEAD"], capture_output=True, text=True, check=False, cwd=here)
    dirty = subprocess.run(
        [git, "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
        cwd=here,
    )
    return answer.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def write_results(name: str, document: dict[str, Any]) -> Path:
    """``results/<date>-<host>-<name>.json`` with the date, the machine and the commit."""
    now = dt.datetime.now(dt.UTC)
    stamped = {
        "benchmark": name,
        "date": now.isoformat(timespec="seconds"),
        "machine": machine(),
        "git_commit": git_commit(),
        **document,
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{now.date().isoformat()}-{socket.gethostname()}-{name}.json"
    path.write_text(json.dumps(stamped, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
