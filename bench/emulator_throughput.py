"""Benchmark: the client against the emulator, over real loopback HTTP.

Measures (1) raw create throughput of client + emulator with Google's limits off, (2) the
paced create rate with Google's limits on (should sit just under 10/s with zero quota errors),
(3) ``users.list`` paging over a large tenant, and (4) the emulator's memory per seeded user.
Run with ``make bench``; results go to ``bench/results/<date>-<host>.md`` with the machine.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import socket
import time
import tracemalloc
from pathlib import Path

from pydantic import SecretStr

from workspace.directory import GoogleDirectory
from workspace.emulator.config import EmulatorConfig
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.control_plane import Seed, SeedUser, apply_seed, seed_defaults
from workspace.emulator.server import EmulatorServer
from workspace.emulator.state import EmulatorState
from workspace.google_session import GoogleConnection, ServiceFactory
from workspace.models import ExternalId, NewUser, UserName
from workspace.pacing import LocalQuota

ADMIN = "admin@misena.edu.co"
RAW_CREATES = int(os.environ.get("BENCH_RAW_CREATES", "500"))
PACED_CREATES = int(os.environ.get("BENCH_PACED_CREATES", "60"))
LIST_USERS = int(os.environ.get("BENCH_LIST_USERS", "10000"))
MEMORY_USERS = int(os.environ.get("BENCH_MEMORY_USERS", "20000"))


def new_user(n: int) -> NewUser:
    return NewUser(
        primary_email=f"{10_000_000 + n}@misena.edu.co",
        name=UserName(given_name="María José", family_name="Peña de la Torre"),
        password=SecretStr("Temporal-2026-xyz"),
        org_unit_path="/Aprendices",
        recovery_email="aprendiz@example.com",
        recovery_phone="+573001234567",
        external_ids=[ExternalId(value=f"CC-{n}")],
    )


def seed_user(n: int) -> SeedUser:
    return SeedUser.model_validate(
        {
            "primaryEmail": f"{20_000_000 + n}@misena.edu.co",
            "name": {"givenName": "Aprendiz", "familyName": "Prueba"},
            "password": "Temporal-2026-xyz",
            "orgUnitPath": "/Aprendices",
        }
    )


def creates(server: EmulatorServer, quota: LocalQuota, count: int, start: int) -> tuple[float, int]:
    connection = GoogleConnection(key_info=server.issue_key(), api_endpoint=server.base_url)
    directory = GoogleDirectory(ServiceFactory(connection), ADMIN, quota=quota)
    began = time.perf_counter()
    for n in range(start, start + count):
        directory.create_user(new_user(n))
    elapsed = time.perf_counter() - began
    control = EmulatorControl(server.base_url)
    refused = control.calls("directory.users.insert", 403)
    control.close()
    return count / elapsed, refused


def listing(server: EmulatorServer) -> tuple[float, int]:
    with server.state.lock:
        apply_seed(server.state, Seed(users=[seed_user(n) for n in range(LIST_USERS)]))
    connection = GoogleConnection(key_info=server.issue_key(), api_endpoint=server.base_url)
    directory = GoogleDirectory(ServiceFactory(connection), ADMIN, quota=LocalQuota.unlimited())
    began = time.perf_counter()
    seen = sum(1 for _ in directory.iter_users("orgUnitPath=/Aprendices"))
    return time.perf_counter() - began, seen


def memory_per_user() -> float:
    state = EmulatorState(config=EmulatorConfig(limits_enabled=False))
    seed_defaults(state)
    with state.lock:
        apply_seed(state, Seed(org_units=["/Aprendices"]))
    users = [seed_user(n) for n in range(MEMORY_USERS)]
    tracemalloc.start()
    with state.lock:
        apply_seed(state, Seed(users=users))
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return current / MEMORY_USERS


def main() -> None:
    unlimited = EmulatorServer(EmulatorConfig(limits_enabled=False)).start()
    limited = EmulatorServer(EmulatorConfig()).start()
    for server in (unlimited, limited):
        with server.state.lock:
            apply_seed(server.state, Seed(org_units=["/Aprendices"]))
    raw_rate, _ = creates(unlimited, LocalQuota.unlimited(), RAW_CREATES, 0)
    paced_rate, refused = creates(limited, LocalQuota(), PACED_CREATES, 0)
    list_seconds, listed = listing(unlimited)
    per_user = memory_per_user()
    unlimited.stop()
    limited.stop()
    today = dt.date.today().isoformat()
    rows = [
        ("raw creates (limits off), users/s", f"{raw_rate:.1f}", f"{RAW_CREATES} creates"),
        (
            "paced creates (limits on), users/s",
            f"{paced_rate:.2f}",
            f"{PACED_CREATES} creates; quota 10/s",
        ),
        ("quota refusals while paced", str(refused), "403 rateLimitExceeded seen by the emulator"),
        ("users.list, seconds to page all", f"{list_seconds:.2f}", f"{listed} users, 500/page"),
        ("emulator memory per user, bytes", f"{per_user:.0f}", f"tracemalloc over {MEMORY_USERS}"),
        (
            "peak RSS of the run, MiB",
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}",
            "",
        ),
    ]
    machine = (
        f"{platform.node()} · {platform.machine()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()} · {platform.platform()}"
    )
    lines = [
        f"# Emulator and client benchmark — {today}",
        "",
        f"Machine: {machine}",
        "",
        "Command: `make bench`",
        "",
        "| measure | value | notes |",
        "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in rows],
        "",
    ]
    report = "\n".join(lines)
    out = Path(__file__).parent / "results" / f"{today}-{socket.gethostname()}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
