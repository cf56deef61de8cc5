"""``make run``: start demo mode and tell the person exactly what to do next.

The demo also leaves a ``demo`` profile (its URL and an admin token it issues, the previous
demo token revoked) through ``save_profile``, so a second terminal's ``misena accounts search``
needs nothing: the staff commands find the demo as they find any service.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import uvicorn
from rich.console import Console

from app.clock import system_clock
from app.db.engine import make_engine
from app.db.migrate import upgrade
from app.demo.environment import KEY_FILE, SECRET_FILE, start_demo
from app.http.guard import uvicorn_options
from app.http.main import create_app
from app.i18n import cli_gettext as _
from app.logging_setup import configure_logging
from app.runtime.services import Services, build_services
from app.staff.tokens import Scope, issue_token, list_tokens, revoke_token

DEMO_NAME = "demo"
DEMO_ACTOR = "demo"

#: Stores the demo's profile (url, token, emulator url); answers where, and whether it is the default.
SaveProfile = Callable[[str, str, str], tuple[Path, bool]]


def demo_token(services: Services) -> str:
    """A fresh admin token for this run of the demo; the ones earlier runs issued are revoked."""
    for token in list_tokens(services.sessions):
        if token.name == DEMO_NAME and token.created_by == DEMO_ACTOR and token.revoked_at is None:
            revoke_token(services.sessions, token.id, DEMO_ACTOR, clock=system_clock)
    issued = issue_token(services.sessions, DEMO_NAME, [Scope.ADMIN], DEMO_ACTOR, clock=system_clock)
    return issued.token


def run_demo(console: Console, save_profile: SaveProfile) -> None:
    port = int(os.environ.get("MISENA_PORT", "8000"))
    emulator_port = int(os.environ.get("MISENA_EMULATOR_PORT", "8787"))
    demo = start_demo(port, emulator_port)
    engine = make_engine(demo.settings.database_url)
    upgrade(engine)
    configure_logging()
    services = build_services(demo.settings, engine=engine)
    url = f"http://127.0.0.1:{port}"
    config, is_default = save_profile(url, demo_token(services), demo.emulator.base_url)
    app = create_app(services, run_worker=True)
    profile_line = (
        _("the default one, so the staff commands need nothing more")
        if is_default
        else _("use it with --profile demo or MISENA_PROFILE=demo")
    )
    console.print(
        "\n[bold green]" + _("misena — demo mode") + "[/bold green]\n"
        + _("  API:                 {url}  (docs: /docs, health: /readyz)").format(url=url) + "\n"
        + _("  Google emulator:     {url}").format(url=demo.emulator.base_url) + "\n"
        + _("  Database:            {url}").format(url=demo.settings.database_url) + "\n"
        + _("  Service key:         {path}").format(path=KEY_FILE) + "\n"
        + _("  Webhook secret:      {secret}   (also in {path})").format(
            secret=demo.secrets[0], path=SECRET_FILE
        )
        + "\n"
        + _("  Profile «demo»:      in {path}, {which}").format(path=config, which=profile_line) + "\n\n"
        + _("Send a signed enrollment from another terminal:") + "\n"
        + "  .venv/bin/misena demo enroll --document 1098765432 --email majo.pena@example.com\n"
        + _("and see the account created and the email received:") + "\n"
        + "  .venv/bin/misena demo show 1098765432\n"
        + _("or look it up as IT staff do:") + "\n"
        + "  .venv/bin/misena accounts search --document 1098765432\n",
        soft_wrap=True,
    )  # fmt: skip
    try:
        uvicorn.run(app, **uvicorn_options(host="127.0.0.1", port=port))
    finally:
        demo.emulator.stop()
