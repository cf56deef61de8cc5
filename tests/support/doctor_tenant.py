"""A tenant set up as the demo sets it up (``app.demo.environment``), and settings pointing
``misena doctor`` at it: each test then sets one thing wrong."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from app.db.engine import make_engine
from app.db.migrate import upgrade
from app.demo.environment import DEMO_ORG_UNITS, new_webhook_secret
from app.settings import Settings
from sofia_sync.policy import SOFIA_SCHEMA_DEFINITION
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import EmulatorServer

SENDER = "notificaciones@misena.edu.co"
#: A secret Settings lets through outside demo mode (24 characters) with only 18 bytes of key.
WEAK_SECRET = "whsec_" + base64.b64encode(b"eighteen-bytes-key").decode()


def seed_like_the_demo(
    emulator: EmulatorControl,
    *,
    org_units: list[str] | None = None,
    schemas: list[dict[str, Any]] | None = None,
    senders: list[dict[str, Any]] | None = None,
) -> None:
    sender = {
        "primaryEmail": SENDER,
        "name": {"givenName": "Notificaciones", "familyName": "Mi SENA"},
        "password": "Remitente-2026-largo",
    }
    emulator.seed(
        org_units=DEMO_ORG_UNITS if org_units is None else org_units,
        schemas=[SOFIA_SCHEMA_DEFINITION] if schemas is None else schemas,
        users=[sender] if senders is None else senders,
    )


def key_file(emulator: EmulatorControl, directory: Path, scopes: list[str] | None = None) -> Path:
    """A new service account's key, delegated ``scopes`` (default: everything misena needs)."""
    path = directory / "doctor-key.json"
    path.write_text(json.dumps(emulator.service_account("doctor", scopes=scopes)), encoding="utf-8")
    return path


def migrated_sqlite(directory: Path) -> str:
    url = f"sqlite:///{directory}/doctor.db"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def doctor_settings(server: EmulatorServer, key: Path, database_url: str, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "webhook_secrets": (SecretStr(new_webhook_secret()),),
        "google_key_file": key,
        "google_api_endpoint": server.base_url,
        "database_url": database_url,
        "mail_senders": (SENDER,),
    }
    return Settings(**{**values, **changes})
