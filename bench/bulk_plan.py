"""Benchmark: plan a bulk sync of a 100,000-person roster against a 100,000-user tenant.

The population (default 100,000 people) is 90% matching their account, 5% new, 3% changed
(a third each: new surname, moved to another regional's centro, new personal email) and 2%
gone (managed, absent from the export). The roster lists the matching, changed and new people
(98%); the emulator holds the accounts of the matching, changed and gone (95%) plus 5% staff
accounts misena does not manage — 100,000 users. misena's database (SQLite) knows the 95% that
have accounts, as if their earlier events had been applied.

The emulator runs in its own process (``python -m app emulator``) with Google's quotas on and
every call answered after ``--latency-ms`` (100 ms by default). The plan itself runs in a child
process of its own, so the peak RSS reported is the plan's (``services.sync.plan``: read the
roster, snapshot the Directory, load misena's records, plan, store the run), not the set-up's.

    python -m bench.bulk_plan                       # the issue's figures (a few minutes of set-up)
    python -m bench.bulk_plan --people 10000        # a quicker look

Results go to ``bench/results/<date>-<host>-bulk-plan.md`` with the machine.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy.orm import Session

from app.db.engine import make_engine, session_factory
from app.db.migrate import upgrade
from app.db.models import Person
from app.people.index import index_person
from app.runtime.services import build_services
from app.settings import Settings
from sofia_sync.planner import to_new_user
from sofia_sync.policy import SOFIA_SCHEMA_DEFINITION, desired_account
from sofia_sync.roster import load_roster
from sofia_sync.roster_columns import SPANISH_HEADERS
from sofia_sync.roster_records import roster_record
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import free_port, start_in_own_process

RESULTS = Path(__file__).parent / "results"
FIELDS = (
    "document_type", "document_number", "first_names", "last_names", "personal_email",
    "mobile_phone", "role", "ficha", "program_code", "program_name", "level", "centro_code",
    "centro_name", "regional_code", "regional_name", "modality", "status", "start_date", "end_date",
)  # fmt: skip
PROGRAMS = (
    ("228118", "Análisis y Desarrollo de Software", "Tecnólogo"),
    ("134104", "Gestión Contable y de Información Financiera", "Tecnólogo"),
    ("233104", "Técnico en Programación de Software", "Técnico"),
    ("831101", "Cocina", "Técnico"),
    ("521240", "Asistencia Administrativa", "Técnico"),
)
GIVEN = (
    "María José", "Juan David", "Valentina", "Santiago", "Luisa Fernanda", "Andrés Felipe",
    "Daniela", "Camilo", "Ángela", "Sebastián", "Natalia", "Julián", "Paola Andrea", "Óscar",
)  # fmt: skip
FAMILY = (
    "Peña de la Torre", "Gómez Rodríguez", "Martínez", "Núñez Ospina", "Castaño", "Muñoz Díaz",
    "Hernández", "López Quintero", "Zuluaga", "Cárdenas Rincón", "Jaramillo", "Ibáñez",
)  # fmt: skip
SEEDED_PER_REQUEST = 5_000


@dataclass(frozen=True)
class Knobs:
    latency_ms: int = 100
    workers: int = 8


@dataclass
class Population:
    """Roster rows (snake_case fields → text) by kind of person."""

    matching: list[dict[str, str]] = field(default_factory=list)
    changed_before: list[dict[str, str]] = field(default_factory=list)
    changed_after: list[dict[str, str]] = field(default_factory=list)
    new: list[dict[str, str]] = field(default_factory=list)
    gone: list[dict[str, str]] = field(default_factory=list)
    staff: int = 0


REGIONALS = (
    "Amazonas", "Antioquia", "Arauca", "Atlántico", "Bolívar", "Boyacá", "Caldas", "Caquetá",
    "Casanare", "Cauca", "Cesar", "Chocó", "Córdoba", "Cundinamarca", "Distrito Capital", "Guainía",
    "Guajira", "Guaviare", "Huila", "Magdalena", "Meta", "Nariño", "Norte de Santander", "Putumayo",
    "Quindío", "Risaralda", "San Andrés", "Santander", "Sucre", "Tolima", "Valle", "Vaupés", "Vichada",
)  # fmt: skip


def centros() -> list[tuple[str, str, str, str]]:
    """117 centros over SENA's 33 regionals: (centro code, name, regional code, regional name)."""
    return [
        (str(9101 + n), f"Centro de Formación {n + 1}", f"{n % 33 + 1:02d}", REGIONALS[n % 33])
        for n in range(117)
    ]


def person_row(n: int, rng: random.Random, places: list[tuple[str, str, str, str]]) -> dict[str, str]:
    kind = rng.choices(("CC", "TI", "CE", "PPT"), weights=(70, 24, 4, 2))[0]
    number = {
        "CC": str(rng.randrange(10_000_000, 1_299_999_999)),
        "TI": str(rng.randrange(1_000_000_000, 1_199_999_999)),
        "CE": str(rng.randrange(100_000, 9_999_999)),
        "PPT": f"{rng.choice('ABCDEFGHJK')}{rng.randrange(1_000_000, 9_999_999)}",
    }[kind]
    program = rng.choice(PROGRAMS)
    centro = rng.choice(places)
    return {
        "document_type": kind,
        "document_number": number,
        "first_names": rng.choice(GIVEN),
        "last_names": rng.choice(FAMILY),
        "personal_email": f"aprendiz{n}@example.com",
        "mobile_phone": f"3{rng.randrange(100_000_000, 199_999_999)}",
        "role": "APRENDIZ",
        "ficha": str(2_600_000 + rng.randrange(4_000)),
        "program_code": program[0],
        "program_name": program[1],
        "level": program[2],
        "centro_code": centro[0],
        "centro_name": centro[1],
        "regional_code": centro[2],
        "regional_name": centro[3],
        "modality": "Presencial",
        "status": "En formación",
        "start_date": "2026-01-26",
        "end_date": "2027-12-17",
    }


def population(size: int, seed: int = 2026) -> Population:
    rng = random.Random(seed)
    places = centros()
    rows: list[dict[str, str]] = []
    documents: set[str] = set()
    while len(rows) < size:
        row = person_row(len(rows), rng, places)
        if row["document_number"] not in documents:
            documents.add(row["document_number"])
            rows.append(row)
    new, changed, gone = size * 5 // 100, size * 3 // 100, size * 2 // 100
    result = Population(staff=size * 5 // 100)
    result.new = rows[:new]
    result.changed_before = rows[new : new + changed]
    result.gone = rows[new + changed : new + changed + gone]
    result.matching = rows[new + changed + gone :]
    for n, before in enumerate(result.changed_before):
        after = dict(before)
        if n % 3 == 0:
            after["last_names"] = rng.choice([f for f in FAMILY if f != before["last_names"]])
        elif n % 3 == 1:
            other = rng.choice([c for c in places if c[2] != before["regional_code"]])
            after.update(
                centro_code=other[0], centro_name=other[1], regional_code=other[2], regional_name=other[3]
            )
        else:
            after["personal_email"] = f"nuevo.{before['personal_email']}"
        result.changed_after.append(after)
    return result


def write_roster(path: Path, rows: list[dict[str, str]]) -> None:
    """As Sofia Plus exports for Excel users: UTF-8 with BOM, ``;``, Spanish headers."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow([SPANISH_HEADERS[name] for name in FIELDS])
        writer.writerows([row[name] for name in FIELDS] for row in rows)


# --- set-up ----------------------------------------------------------------------------------


def start_emulator(workdir: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    key_file = workdir / "key.json"
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "app", "emulator", "--port", str(port), "--key-file", str(key_file)]
    return start_in_own_process(command, base), base, key_file


def known_people(settings: Settings, rows: list[dict[str, str]], workdir: Path, at: dt.datetime) -> list[Any]:
    """misena's records of people with accounts: their earlier export, read by the importer."""
    earlier = workdir / "earlier.csv"
    write_roster(earlier, rows)
    roster = load_roster(earlier)
    return [roster_record(person, at) for person in roster.people.values()]


def seed_tenant(
    control: EmulatorControl, settings: Settings, records: list[Any], staff: int, now: dt.datetime
) -> list[Any]:
    """Create every account as misena would have; returns the desired accounts, in order."""
    desired = [desired_account(record, settings.policy, now) for record in records]
    paths = sorted({d.org_unit_path for d in desired if d is not None} | {"/Funcionarios"})
    units: list[str] = []
    for path in paths:
        parts = path.strip("/").split("/")
        units.extend("/" + "/".join(parts[: depth + 1]) for depth in range(len(parts)))
    control.seed(org_units=list(dict.fromkeys(units)), schemas=[SOFIA_SCHEMA_DEFINITION])
    password = SecretStr("Temporal-2026-xyz")
    bodies = [to_new_user(d, password).to_body() for d in desired if d is not None]
    bodies += [
        {"primaryEmail": f"funcionario.{n}@misena.edu.co", "password": "Temporal-2026-xyz",
         "name": {"givenName": "Funcionario", "familyName": "SENA"}, "orgUnitPath": "/Funcionarios"}
        for n in range(staff)
    ]  # fmt: skip
    for start in range(0, len(bodies), SEEDED_PER_REQUEST):
        control.seed(users=bodies[start : start + SEEDED_PER_REQUEST])
    return desired


def store_people(
    session: Session, records: list[Any], desired: list[Any], ids: dict[str, str], now: dt.datetime
) -> None:
    for record, account in zip(records, desired, strict=True):
        person = Person(
            person_key=record.key,
            document_type=record.document_type.value,
            document_number=record.document_number,
            record=record.model_dump(mode="json"),
            primary_email=account.primary_email,
            account_status="active",
            google_user_id=ids[account.primary_email],
            group_memberships={group.email: group.role for group in account.groups},
            created_at=now,
            updated_at=now,
        )
        index_person(person, record)
        session.add(person)


def set_up(people: int, workdir: Path, knobs: Knobs) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    started = time.perf_counter()
    emulator, base, key_file = start_emulator(workdir)
    control = EmulatorControl(base)
    settings = plan_settings(workdir, base, key_file, knobs.workers)
    now = dt.datetime.now(dt.UTC)
    earlier = now - dt.timedelta(days=30)
    crowd = population(people)
    with_accounts = crowd.matching + crowd.changed_before + crowd.gone
    records = known_people(settings, with_accounts, workdir, earlier)
    desired = seed_tenant(control, settings, records, crowd.staff, now)
    services = build_services(settings)
    upgrade(services.engine)  # first: the Directory's quota lives in the database
    listed = services.directory.snapshot_users(custom_schema=settings.policy.custom_schema)
    ids = {user["primaryEmail"]: user["id"] for user in listed.raw_users()}
    sessions = session_factory(make_engine(settings.database_url))
    for start in range(0, len(records), 5_000):
        with sessions.begin() as session:
            store_people(
                session, records[start : start + 5_000], desired[start : start + 5_000], ids, earlier
            )
    write_roster(workdir / "roster.csv", crowd.matching + crowd.changed_after + crowd.new)
    control.configure(latency_ms=knobs.latency_ms)
    shape = {
        "people": people,
        "matching": len(crowd.matching),
        "changed": len(crowd.changed_after),
        "new": len(crowd.new),
        "gone": len(crowd.gone),
        "staff_accounts": crowd.staff,
        "tenant_users": len(ids),
        "roster_people": len(crowd.matching) + len(crowd.changed_after) + len(crowd.new),
        "roster_bytes": (workdir / "roster.csv").stat().st_size,
        "setup_seconds": round(time.perf_counter() - started, 1),
        "base": base,
        "key_file": str(key_file),
    }
    return emulator, shape


def plan_settings(workdir: Path, base: str, key_file: Path, workers: int) -> Settings:
    return Settings(
        demo_mode=True,
        database_url=f"sqlite:///{workdir / 'misena.db'}",
        google_key_file=key_file,
        google_api_endpoint=base,
        sync_snapshot_workers=workers,
    )


# --- the measured part (child process) -------------------------------------------------------


def measure_plan(workdir: Path, base: str, key_file: Path, workers: int) -> dict[str, Any]:
    settings = plan_settings(workdir, base, key_file, workers)
    services = build_services(settings)
    control = EmulatorControl(base)
    control.clear_counters()
    rss_before = peak_rss_mib()
    started = time.perf_counter()
    run_id = services.sync.plan(workdir / "roster.csv", scope="all", actor="bench", source_name="roster.csv")
    seconds = time.perf_counter() - started
    run = services.sync.show(run_id)
    counters = control.counters()["calls"]
    return {
        "plan_seconds": round(seconds, 2),
        "peak_rss_mib": peak_rss_mib(),
        "rss_before_plan_mib": rss_before,
        "directory_calls": sum(counters.get("directory.users.list", {}).values()),
        "other_google_calls": sum(
            sum(by_status.values())
            for method, by_status in counters.items()
            if method != "directory.users.list"
        ),
        "counts": run.counts,
        "status": run.status,
        "managed_in_scope": run.managed_in_scope,
        "bad_rows": run.bad_rows,
    }


def peak_rss_mib() -> float:
    """This process's peak RSS. Linux's ``VmHWM`` rather than ``ru_maxrss``, which a child
    inherits from the parent that forked it (the set-up's memory would be reported)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def machine() -> str:
    cpus = os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    processor = platform.processor() or platform.machine()
    python = platform.python_version()
    return f"{socket.gethostname()} · {processor} · {cpus} CPUs · {memory:.0f} GiB · Python {python}"


def report(shape: dict[str, Any], result: dict[str, Any], command: str, knobs: Knobs) -> Path:
    today = dt.date.today().isoformat()
    limit = -(-shape["tenant_users"] // 500)
    lines = [
        f"# Bulk plan — {today}",
        "",
        f"Machine: {machine()}",
        f"Command: `{command}`",
        f"Emulator: own process, Google's quotas on, {knobs.latency_ms} ms per call; "
        f"snapshot workers: {knobs.workers}",
        "",
        f"Population: {shape['people']:,} people — {shape['matching']:,} matching, "
        f"{shape['changed']:,} changed, {shape['new']:,} new, {shape['gone']:,} gone; "
        f"plus {shape['staff_accounts']:,} staff accounts.",
        f"Roster: {shape['roster_people']:,} people, {shape['roster_bytes'] / 2**20:.1f} MiB "
        "(UTF-8 BOM, `;`). "
        f"Tenant: {shape['tenant_users']:,} users. Set-up (not measured): {shape['setup_seconds']} s.",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| plan time (read roster + snapshot + plan + store) | {result['plan_seconds']} s | < 30 s |",
        f"| peak RSS of the planning process | {result['peak_rss_mib']} MiB | < 512 MiB |",
        f"| Directory calls (users.list) | {result['directory_calls']} | ≤ {limit} + a small constant |",
        f"| other Google calls | {result['other_google_calls']} | 0 |",
        "",
        f"Plan counts: {json.dumps(result['counts'])}; status {result['status']}; "
        f"managed in scope {result['managed_in_scope']:,}; bad rows {result['bad_rows']}.",
        f"RSS before planning (interpreter + imports): {result['rss_before_plan_mib']} MiB.",
        "",
        "The service's own log line (phases in seconds; the snapshot runs while the roster is read):",
        "",
        f"    {result['log']}",
        "",
    ]
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{today}-{socket.gethostname()}-bulk-plan.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--measure", nargs=3, metavar=("WORKDIR", "BASE", "KEY_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    knobs = Knobs(args.latency_ms, args.workers)
    if args.measure:
        workdir, base, key_file = args.measure
        print(json.dumps(measure_plan(Path(workdir), base, Path(key_file), args.workers)))
        return
    with tempfile.TemporaryDirectory(prefix="misena-bench-") as tmp:
        workdir = Path(tmp)
        emulator, shape = set_up(args.people, workdir, knobs)
        try:
            print(f"set up in {shape['setup_seconds']} s; planning…", file=sys.stderr)
            child = subprocess.run(
                [sys.executable, "-m", "bench.bulk_plan", "--workers", str(knobs.workers), "--latency-ms",
                 str(knobs.latency_ms), "--measure", str(workdir), shape["base"], shape["key_file"]],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            lines = child.stdout.strip().splitlines()
            result = json.loads(lines[-1])
            result["log"] = next((line for line in lines if "sync_planned" in line), "")
        finally:
            emulator.terminate()
            emulator.wait(timeout=30)
    command = (
        f"python -m bench.bulk_plan --people {args.people} --latency-ms {knobs.latency_ms} "
        f"--workers {knobs.workers}"
    )
    path = report(shape, result, command, knobs)
    print(path.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
