"""``make run``: start demo mode, with what a person needs to use it.

It issues an admin token for this run (revoking the previous run's) and hands it, with the
URLs, to ``on_ready``: the CLI stores them as the ``demo`` profile and prints the banner, so a
second terminal's ``misena accounts search`` needs nothing — the staff commands find the demo
as they find any service.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from app.clock import system_clock
from app.db.engine import make_engine
from app.db.migrate import upgrade
from app.demo.environment import KEY_FILE, SECRET_FILE, start_demo
from app.http.guard import uvicorn_options
from app.http.main import create_app
from app.logging_setup import configure_logging
from app.runtime.services import Services, build_services
from app.staff.tokens import Scope, issue_token, list_tokens, revoke_token

DEMO_NAME = "demo"
DEMO_ACTOR = "demo"


@dataclass(frozen=True)
class DemoReady:
    """What a person needs to use the running demo (the CLI saves the profile and says it)."""

    url: str
    token: str
    emulator_url: str
    database_url: str
    webhook_secret: str
    key_file: Path
    secret_file: Path


def demo_token(services: Services) -> str:
    """A fresh admin token for this run of the demo; the ones earlier runs issued are revoked."""
    for token in list_tokens(services.sessions):
        if token.name == DEMO_NAME and token.created_by == DEMO_ACTOR and token.revoked_at is None:
            revoke_token(services.sessions, token.id, DEMO_ACTOR, clock=system_clock)
    issued = issue_token(services.sessions, DEMO_NAME, [Scope.ADMIN], DEMO_ACTOR, clock=system_clock)
    return issued.token


def run_demo(on_ready: Callable[[DemoReady], None]) -> None:
    port = int(os.environ.get("MISENA_PORT", "8000"))
    emulator_port = int(os.environ.get("MISENA_EMULATOR_PORT", "8787"))
    demo = start_demo(port, emulator_port)
    configure_logging(demo.settings.log_level, capture_uncaught=True)
    engine = make_engine(demo.settings.database_url)
    upgrade(engine)
    services = build_services(demo.settings, engine=engine)
    on_ready(
        DemoReady(
            url=f"http://127.0.0.1:{port}",
            token=demo_token(services),
            emulator_url=demo.emulator.base_url,
            database_url=demo.settings.database_url,
            webhook_secret=demo.secrets[0],
            key_file=KEY_FILE,
            secret_file=SECRET_FILE,
        )
    )
    app = create_app(services, run_worker=True)
    try:
        uvicorn.run(app, **uvicorn_options(host="127.0.0.1", port=port))
    finally:
        demo.emulator.stop()
