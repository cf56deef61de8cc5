"""What ``bench/intake.py`` starts and reads: the servers in their own processes, a fresh
database, the emulator, and the pre-signed requests."""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import NullPool, func, select, text
from standardwebhooks.webhooks import Webhook

from app.db.engine import make_engine
from app.db.models import WebhookEvent
from bench import stack
from sofia_sync.contract import EVENT_EXAMPLES
from sofia_sync.policy import SOFIA_SCHEMA_DEFINITION
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import start_in_own_process

SECRET = "whsec_" + base64.b64encode(b"misena-bench-secret-number-one-32").decode()
SENDER = "notificaciones@misena.edu.co"
ADMIN = "admin@misena.edu.co"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Service:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (user + system)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _start(
    name: str,
    command: list[str],
    port: int,
    env: dict[str, str],
    log: Path,
    ready: str,
    cwd: str | None = None,
) -> Service:
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}{ready}", timeout=1)
            return Service(name, port, process)
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"{name} did not start; see {log}") from None
            time.sleep(0.1)


def bare_service(workdir: Path) -> Service:
    port = free_port()
    command = [sys.executable, "-m", "bench.bare_app", str(port)]
    return _start("bare", command, port, dict(os.environ), workdir / "bare.log", "/docs")


def misena_env(database_url: str, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISENA_")}
    return env | {
        "MISENA_DATABASE_URL": database_url,
        "MISENA_WEBHOOK_SECRETS": SECRET,
        "MISENA_PORT": str(port),
        "MISENA_GOOGLE_ADMIN": ADMIN,
        "MISENA_MAIL_SENDERS": SENDER,
        **extra,
    }


#: Another checkout of misena to measure instead of this one (``git archive <commit>`` unpacked),
#: so a before/after comparison runs in one invocation, under the same machine load.
SOURCE = os.environ.get("BENCH_MISENA_SOURCE")


def misena_service(workdir: Path, database_url: str, *args: str, **extra: str) -> Service:
    """``misena serve ARGS`` on a free port (the schema migrated first, as in production)."""
    port = free_port()
    env = misena_env(database_url, port, **extra)
    if SOURCE:
        env["PYTHONPATH"] = SOURCE
    cwd = SOURCE or None
    migrate = [sys.executable, "-m", "app", "migrate"]
    subprocess.run(migrate, env=env, check=True, capture_output=True, cwd=cwd)
    command = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", *args]
    return _start("misena", command, port, env, workdir / "misena.log", "/livez", cwd=cwd)


@contextmanager
def fresh_database(store: str, workdir: Path) -> Iterator[str]:
    """A SQLite file under ``workdir``, or a brand-new PostgreSQL database (dropped after)."""
    if store == "sqlite":
        path = workdir / f"intake-{uuid.uuid4().hex[:8]}.db"
        yield f"sqlite:///{path}"
        return
    with stack.private_database() as url:
        yield url


def stored_rows(database_url: str) -> int:
    engine = make_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(WebhookEvent)).scalar_one())
    finally:
        engine.dispose()


def enrollment(n: int) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(json.dumps(EVENT_EXAMPLES["enrollment.created"]))
    event["data"]["person"].update(
        {"document_type": "CC", "document_number": str(1_040_000_000 + n),
         "personal_email": f"aprendiz{n}@example.com"}
    )  # fmt: skip
    return event


def signed_requests(count: int, first: int) -> list[tuple[str, str, str, str]]:
    """``count`` distinct enrollments (people ``first`` …), each signed now with its own id:
    (webhook-id, timestamp, signature, body)."""
    hook = Webhook(SECRET)
    now = datetime.now(UTC)
    stamp = str(int(now.timestamp()))
    rows = []
    for n in range(first, first + count):
        body = json.dumps(enrollment(n), ensure_ascii=False)
        msg_id = f"msg_{secrets.token_hex(12)}"
        rows.append((msg_id, stamp, hook.sign(msg_id, now, body), body))
    return rows


def write_requests(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    path.write_text("".join("\t".join(row) + "\n" for row in rows), encoding="utf-8")
    return path


def raw_http(port: int, row: tuple[str, str, str, str]) -> bytes:
    msg_id, stamp, signature, body = row
    data = body.encode("utf-8")
    head = (
        f"POST /webhooks/sofia-plus HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        f"webhook-id: {msg_id}\r\nwebhook-timestamp: {stamp}\r\nwebhook-signature: {signature}\r\n\r\n"
    )
    return head.encode("ascii") + data


def emulator_service(workdir: Path, latency_ms: int) -> tuple[subprocess.Popen[bytes], str, Path]:
    """The emulator in its own process at Google's limits, seeded as the demo seeds it."""
    port = free_port()
    key_file = workdir / "key.json"
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "app", "emulator", "--port", str(port), "--key-file", str(key_file),
               "--latency-ms", str(latency_ms)]  # fmt: skip
    process = start_in_own_process(command, base)
    control = EmulatorControl(base)
    sender = {"primaryEmail": SENDER, "password": secrets.token_urlsafe(18),
              "name": {"givenName": "Notificaciones", "familyName": "Mi SENA"}}  # fmt: skip
    control.seed(
        org_units=["/Aprendices", "/Instructores", "/Egresados"],
        schemas=[SOFIA_SCHEMA_DEFINITION],
        users=[sender],
    )
    control.close()
    return process, base, key_file


def job_states(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT state, count(*) FROM jobs GROUP BY state"))
            return {str(state): int(count) for state, count in rows}
    finally:
        engine.dispose()
