"""``misena sync``: bulk reconciliation from a Sofia Plus roster at a terminal (Spanish help).

``misena sync plan reporte.csv --scope centro:9229`` reads Google once and shows what would
change (``misena sync pull --scope centro:9229`` does the same with the export Sofia Plus
publishes over HTTP); ``misena sync apply RUN_ID [--confirm N]`` queues the work with a
progress bar; ``misena sync show RUN_ID`` and ``misena sync export RUN_ID`` look at a run.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.cli.plumbing import Actor, Json, actor_label, cli_clock, load_settings, logs_to_stderr, refused
from app.cli.rendering import emit, err_console, make_table, out_console, print_json
from app.errors import MisenaError
from app.http.v1.sync import MAX_ROSTER_BYTES, SyncRunOut, sync_run_out
from app.runtime.services import Services, build_services
from app.sync.plan_export import ExportFormat, plan_chunks
from app.sync.pull import pull_and_plan

sync_cli = typer.Typer(
    help="Sincronización masiva desde un reporte de Sofia Plus: plan, revisión y aplicación.",
    no_args_is_help=True,
)
sync_cli.callback()(logs_to_stderr)

ACTION_NAMES = {
    "create": "crear",
    "rename": "renombrar",
    "suspend": "suspender",
    "reactivate": "reactivar",
    "move": "mover de unidad",
    "update": "actualizar",
    "groups": "grupos de ficha",
    "left_alone": "sin tocar",
    "unchanged": "sin cambios",
}


def _services() -> Services:
    return build_services(load_settings(), clock=cli_clock)


def _show(run: SyncRunOut, as_json: bool) -> None:
    if as_json:
        print_json(run.model_dump(mode="json"))
        return
    table = make_table(
        f"Sincronización {run.id} · alcance {run.scope} · {run.status}", ("acción", "personas")
    )
    for action, count in run.counts.items():
        table.add_row(ACTION_NAMES.get(action, action), str(count))
    emit(out_console(), table)
    out = out_console()
    out.print(
        f"Reporte: {run.roster_rows} filas, {run.roster_people} personas en el alcance, "
        f"{run.bad_rows} filas con errores · cuentas gestionadas en el alcance: {run.managed_in_scope} · "
        f"llamadas a Directory: {run.directory_calls}"
    )
    for error in run.roster_errors[:20]:
        out.print(f"  [yellow]línea {error['line']}[/yellow]: {error['reason']}")
    if run.refusal_es:
        out.print(f"[bold red]Plan rechazado[/bold red]: {run.refusal_es}")
        out.print(f"[dim]{run.refusal_en}[/dim]")
    if run.progress:
        out.print("Progreso: " + ", ".join(f"{k}={v}" for k, v in sorted(run.progress.items())))


@sync_cli.command("plan")
def plan(
    roster: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="Reporte de Sofia Plus (CSV o XLSX).")
    ],
    scope: Annotated[str, typer.Option(help="all, regional:<código> o centro:<código>.")] = "all",
    exported_at: Annotated[
        datetime | None, typer.Option(help="Cuándo lo exportó Sofia Plus (por defecto, ahora).")
    ] = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Calcula el plan (no cambia nada): crear, actualizar, mover, renombrar, suspender, reactivar."""
    services = _services()
    who = actor_label(actor)
    when = exported_at.astimezone() if exported_at is not None else None
    try:
        run_id = services.sync.plan(roster, scope=scope, actor=who, source_name=roster.name, exported_at=when)
        _show(sync_run_out(services, run_id), as_json)
    except MisenaError as exc:
        refused(exc)


@sync_cli.command("pull")
def pull(
    scope: Annotated[str, typer.Option(help="all, regional:<código> o centro:<código>.")] = "all",
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Descarga el reporte desde Sofia Plus (MISENA_SOFIA_ROSTER_URL) y calcula el plan (no cambia nada)."""
    services = _services()
    who = actor_label(actor)
    try:
        with err_console().status("Descargando el reporte de Sofia Plus…"):
            run_id = pull_and_plan(
                services.settings, services.sync, scope=scope, actor=who, max_bytes=MAX_ROSTER_BYTES
            )
        _show(sync_run_out(services, run_id), as_json)
    except MisenaError as exc:
        refused(exc)


@sync_cli.command("apply")
def apply(
    run_id: Annotated[int, typer.Argument(min=1, help="Id de la sincronización (de `misena sync plan`).")],
    confirm: Annotated[
        int | None,
        typer.Option(
            help="Para un plan rechazado: el número exacto de suspensiones. Confirmadas, pasan "
            "una vez el freno de suspensiones."
        ),
    ] = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Aplica el plan: encola el trabajo (reanudable; lo ya aplicado no se repite)."""
    services = _services()
    who = actor_label(actor)
    with Progress(
        TextColumn("[bold]Aplicando[/bold]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console(), disable=as_json,
    ) as bar:  # fmt: skip
        task = bar.add_task("apply", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            services.sync.apply(run_id, actor=who, confirm=confirm, progress=advance)
        except MisenaError as exc:
            bar.stop()
            refused(exc)
    _show(sync_run_out(services, run_id), as_json)


@sync_cli.command("show")
def show(run_id: Annotated[int, typer.Argument(min=1)], as_json: Json = False) -> None:
    """Muestra una sincronización: conteos, rechazo, errores del reporte y progreso."""
    services = _services()
    try:
        _show(sync_run_out(services, run_id), as_json)
    except MisenaError as exc:
        refused(exc)


@sync_cli.command("export")
def export(
    run_id: Annotated[int, typer.Argument(min=1)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Archivo CSV de salida.")],
) -> None:
    """Exporta el plan completo, persona por persona, a CSV."""
    services = _services()
    try:
        sync_run_out(services, run_id)
    except MisenaError as exc:
        refused(exc)
    with output.open("wb") as handle:
        for chunk in plan_chunks(services.sync.export_rows(run_id), ExportFormat.EXCEL):
            handle.write(chunk)
    err_console().print(f"Plan escrito en {output}")
