"""``misena jobs``: the worker's job queue at a terminal — list, the last error, retry, cancel
(help in Spanish, for SENA's IT staff).

Apart from ``misena accounts`` because a job is named by its own id, not by a person. Retrying
and cancelling go through :class:`app.staff.actions.StaffActions`, so they land in the audit trail as
``cli:<actor>`` in the same transaction, and ``--json`` prints the API's ``JobOut``.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session, sessionmaker

from app.cli.plumbing import (
    MAX_ID,
    Actor,
    Json,
    Limit,
    PageToken,
    Reason,
    actor_label,
    checked_reason,
    cli_clock,
    logs_to_stderr,
    open_database,
    refused,
    usage_error,
)
from app.cli.rendering import (
    dump_json,
    grid_table,
    jobs_table,
    out_console,
    print_more,
    state_cell,
    text_cell,
)
from app.db.states import JobKind, JobState
from app.errors import MisenaError
from app.http.v1.schemas import Counted, PageOf
from app.jobs.queries import job_out, jobs_page
from app.jobs.schemas import JobOut
from app.staff.actions import StaffActions

jobs_cli = typer.Typer(
    help="La cola de trabajos del worker: listar, ver el último error, reintentar, cancelar.",
    no_args_is_help=True,
)
jobs_cli.callback()(logs_to_stderr)


JobIdArgument = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="Id del trabajo.")]


@jobs_cli.command("list")
def jobs_list(
    state: Annotated[JobState | None, typer.Option(help="Solo los de este estado.")] = None,
    kind: Annotated[JobKind | None, typer.Option(help="Solo los de este tipo.")] = None,
    person_id: Annotated[
        int | None, typer.Option(min=1, max=MAX_ID, help="Solo los de esta persona (id).")
    ] = None,
    limit: Limit = 50,
    page_token: PageToken = None,
    as_json: Json = False,
) -> None:
    """Lista los trabajos, los más recientes primero."""
    with open_database() as sessions, sessions() as session:
        try:
            page = jobs_page(
                session, state=state, kind=kind, person_id=person_id, page_token=page_token, limit=limit
            )
        except MisenaError as exc:
            refused(exc)
        jobs = page.items
    if as_json:
        dump_json(PageOf(items=jobs, next_page_token=page.next_page_token))
        return
    jobs_table(out_console(), "Trabajos", jobs)
    print_more(page.next_page_token)


def _job(sessions: sessionmaker[Session], job_id: int) -> JobOut:
    with sessions() as session:
        try:
            return job_out(session, job_id)
        except MisenaError as exc:
            refused(exc)


def _print_job(console: Console, job: JobOut) -> None:
    rows = [(k, state_cell(v) if k == "state" else text_cell(v)) for k, v in job.model_dump().items()]
    console.print(grid_table(f"Trabajo {job.id}", rows))


@jobs_cli.command("show")
def jobs_show(job_id: JobIdArgument, as_json: Json = False) -> None:
    """Un trabajo y su último error."""
    with open_database() as sessions:
        job = _job(sessions, job_id)
    if as_json:
        dump_json(job)
        return
    _print_job(out_console(), job)


@jobs_cli.command("retry")
def jobs_retry(
    job_id: Annotated[
        int | None, typer.Argument(min=1, max=MAX_ID, help="Id del trabajo muerto o cancelado.")
    ] = None,
    dead: Annotated[bool, typer.Option("--dead", help="Todos los trabajos muertos.")] = False,
    reason: Reason = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Reintenta un trabajo muerto o cancelado, o con --dead todos los muertos."""
    if (job_id is None) == (not dead):
        usage_error("indique el id del trabajo o --dead (uno de los dos)")
    why, who = checked_reason(reason), actor_label(actor)
    with open_database() as sessions:
        staff = StaffActions(sessions, cli_clock)
        try:
            if job_id is None:
                counted = Counted(action="job.retry_dead", count=staff.retry_dead(who, why))
            else:
                staff.retry_job(job_id, who, why)
        except MisenaError as exc:
            refused(exc)
        if job_id is not None:
            job = _job(sessions, job_id)
    if job_id is None:
        if as_json:
            dump_json(counted)
        else:
            out_console().print(f"[green]✔[/green] {counted.count} trabajos muertos de nuevo pendientes")
        return
    if as_json:
        dump_json(job)
    elif job.state == JobState.PENDING:
        out_console().print(f"[green]✔[/green] trabajo {job.id} de nuevo pendiente")
    else:
        out_console().print(
            f"[yellow]trabajo {job.id} cerrado ({job.state}): la persona ya tenía un {escape(job.kind)} "
            "pendiente, adelantado a ahora, que hará el trabajo[/yellow]"
        )


@jobs_cli.command("cancel")
def jobs_cancel(
    job_id: JobIdArgument, reason: Reason = None, actor: Actor = None, as_json: Json = False
) -> None:
    """Cancela un trabajo pendiente."""
    why, who = checked_reason(reason), actor_label(actor)
    with open_database() as sessions:
        try:
            StaffActions(sessions, cli_clock).cancel_job(job_id, who, why)
        except MisenaError as exc:
            refused(exc)
        job = _job(sessions, job_id)
    if as_json:
        dump_json(job)
        return
    out_console().print(f"[green]✔[/green] trabajo {job.id} cancelado")
