"""``misena brake``: the suspension circuit breaker at a terminal (help in Spanish, for IT staff).

The REST endpoints for the same decisions come with the IT staff API; until then, and for
anyone at a server console, this is how held suspensions are reviewed and decided.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from app.accounts.brake import SuspensionBrake
from app.cli.plumbing import cli_clock, load_settings, logs_to_stderr, refused
from app.db.engine import make_engine, session_factory
from app.errors import MisenaError
from app.settings import Settings
from app.staff.actions import StaffActions

brake_cli = typer.Typer(
    help="Freno de suspensiones: suspensiones retenidas por exceder el límite.", no_args_is_help=True
)
out = Console()
brake_cli.callback()(logs_to_stderr)


def _brake(settings: Settings) -> SuspensionBrake:
    return SuspensionBrake(session_factory(make_engine(settings.database_url)), settings.brake, cli_clock)


def _staff(settings: Settings) -> StaffActions:
    return StaffActions(session_factory(make_engine(settings.database_url)), cli_clock)


@brake_cli.command("list")
def list_held(
    as_json: Annotated[bool, typer.Option("--json", help="Salida JSON en lugar de tabla.")] = False,
) -> None:
    """Lista las suspensiones retenidas que esperan una decisión."""
    held = _brake(load_settings()).held()
    if as_json:
        rows = [
            {"id": h.id, "person_id": h.person_id, "reason": h.reason, "held_at": h.held_at.isoformat()}
            for h in held
        ]
        out.print_json(json.dumps(rows))
        return
    table = Table(title=f"Suspensiones retenidas: {len(held)}")
    for column in ("id", "persona", "motivo", "retenida"):
        table.add_column(column)
    for h in held:
        table.add_row(str(h.id), str(h.person_id), h.reason, f"{h.held_at:%Y-%m-%d %H:%M} UTC")
    out.print(table)


def _decide(ids: list[int] | None, every: bool, actor: str, reason: str | None, release: bool) -> None:
    if not ids and not every:
        out.print("[red]indique los id de las retenciones o --all[/red]")
        raise typer.Exit(2)
    staff = _staff(load_settings())
    try:
        count = staff.decide_holds(None if every else ids, release, f"cli:{actor}", reason)
    except MisenaError as exc:
        refused(exc)
    verb = "liberadas (se suspenderán)" if release else "descartadas (las cuentas siguen activas)"
    out.print(f"{count} suspensiones {verb}")


Ids = Annotated[list[int] | None, typer.Argument(help="Id de las retenciones (ver `misena brake list`).")]
All = Annotated[bool, typer.Option("--all", help="Todas las retenidas.")]
Actor = Annotated[str, typer.Option(help="Quién decide (queda en la auditoría).")]
Reason = Annotated[str | None, typer.Option(help="Por qué (queda en la auditoría).")]


@brake_cli.command()
def release(ids: Ids = None, every: All = False, actor: Actor = "cli", reason: Reason = None) -> None:
    """Libera suspensiones retenidas: las cuentas se suspenden en la próxima reconciliación."""
    _decide(ids, every, actor, reason, release=True)


@brake_cli.command()
def discard(ids: Ids = None, every: All = False, actor: Actor = "cli", reason: Reason = None) -> None:
    """Descarta suspensiones retenidas: las cuentas siguen activas mientras el motivo no cambie."""
    _decide(ids, every, actor, reason, release=False)
