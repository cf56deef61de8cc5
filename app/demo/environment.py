"""Demo mode (``make run``): the whole service on one machine with no credentials.

SQLite under ``./var/``, the Google emulator on its own port seeded with org units, the
Sofia Plus custom schema and the sender mailboxes, a service-account key the emulator trusts,
and a webhook secret printed at start-up so a person can send a signed enrollment.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook

from app.settings import Settings
from sofia_sync.contract import EVENT_EXAMPLES
from sofia_sync.policy import SOFIA_SCHEMA_DEFINITION
from workspace.emulator.config import EmulatorConfig
from workspace.emulator.control_plane import Seed, SeedUser, apply_seed
from workspace.emulator.server import EmulatorServer

VAR = Path("var")
KEY_FILE = VAR / "demo-service-account.json"
SECRET_FILE = VAR / "demo-webhook-secret"
DEMO_ORG_UNITS = ["/Aprendices", "/Instructores", "/Egresados"]


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass
class Demo:
    settings: Settings
    emulator: EmulatorServer
    secrets: list[str]


def start_demo(port: int, emulator_port: int, var: Path = VAR) -> Demo:
    var.mkdir(parents=True, exist_ok=True)
    emulator = EmulatorServer(EmulatorConfig(), port=emulator_port).start()
    base = Settings(demo_mode=True)
    with emulator.state.lock:
        apply_seed(
            emulator.state,
            Seed(
                org_units=DEMO_ORG_UNITS,
                schemas=[SOFIA_SCHEMA_DEFINITION],
                users=[
                    SeedUser.model_validate(
                        {
                            "primaryEmail": sender,
                            "name": {"givenName": "Notificaciones", "familyName": "Mi SENA"},
                            "password": secrets.token_urlsafe(18),
                        }
                    )
                    for sender in base.mail_senders
                ],
            ),
        )
    emulator.write_key_file(var / KEY_FILE.name)
    configured = os.environ.get("MISENA_WEBHOOK_SECRETS", "")
    secret_list = [s.strip() for s in configured.split(",") if s.strip()] or [new_webhook_secret()]
    secret_file = var / SECRET_FILE.name
    secret_file.write_text(secret_list[0], encoding="utf-8")
    secret_file.chmod(0o600)
    settings = Settings(
        demo_mode=True,
        port=port,
        emulator_port=emulator_port,
        database_url=os.environ.get("MISENA_DATABASE_URL", f"sqlite:///{var}/misena.db"),
        webhook_secrets=tuple(SecretStr(s) for s in secret_list),
        google_key_file=var / KEY_FILE.name,
        google_api_endpoint=emulator.base_url,
    )
    return Demo(settings=settings, emulator=emulator, secrets=secret_list)


def sample_enrollment(document: str, email: str | None, first: str, last: str, ficha: str) -> dict[str, Any]:
    event = json.loads(json.dumps(EVENT_EXAMPLES["enrollment.created"]))
    person = event["data"]["person"]
    person.update(
        {"document_type": "CC" if len(document) <= 10 else "TI", "document_number": document,
         "first_names": first, "last_names": last, "personal_email": email}
    )  # fmt: skip
    event["data"]["enrollment"]["ficha"] = ficha
    return dict(event)


def send_signed(
    url: str,
    secret: str,
    event: dict[str, Any],
    webhook_id: str | None = None,
    *,
    client: httpx.Client | None = None,
) -> httpx.Response:
    """Post ``event`` signed as Sofia Plus signs it; ``client`` reuses its connections (a new
    client per request costs ~80 ms of TLS set-up even for plain http)."""
    body = json.dumps(event, ensure_ascii=False)
    msg_id = webhook_id or f"msg_{secrets.token_hex(12)}"
    now = time.time()
    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(now, tz=UTC), body)
    headers = {
        "content-type": "application/json; charset=utf-8",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now)),
        "webhook-signature": signature,
    }
    if client is not None:
        return client.post(url, content=body.encode("utf-8"), headers=headers, timeout=10)
    return httpx.post(url, content=body.encode("utf-8"), headers=headers, timeout=10)
