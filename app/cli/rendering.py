"""What the IT staff's commands print: consoles, tables, cells and JSON (shared by ``misena tokens``,
``accounts``, ``jobs`` and ``sync``).

Apart from the commands so every group renders alike: a value becomes a table cell by one rule
(escaped, since data is never Rich markup; ``—`` for nothing; instants in UTC), states are coloured
by one map, an empty table prints just its title, and ``--json`` prints the API's own schemas. The
jobs table is here because both ``misena accounts show`` and ``misena jobs list`` draw it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from app.db.states import AccountStatus, DeliveryStatus, HoldState, JobState
from app.jobs.schemas import JobOut
from sofia_sync.contract import EnrollmentStatus

#: Colour by meaning: fine, on its way, wrong, or out of play. States of different vocabularies
#: spelled alike (a pending job, a pending delivery) share one colour.
_BY_COLOUR: dict[str, tuple[str, ...]] = {
    "green": (
        AccountStatus.ACTIVE,
        EnrollmentStatus.EN_FORMACION,
        JobState.DONE,
        DeliveryStatus.SENT,
        HoldState.RELEASED,
    ),
    "yellow": (
        AccountStatus.PENDING,
        JobState.PENDING,
        DeliveryStatus.PENDING,
        DeliveryStatus.WAITING,
        JobState.RUNNING,
        AccountStatus.CREDENTIALS_PENDING,
        HoldState.HELD,
    ),
    "red": (
        AccountStatus.SUSPENDED,
        AccountStatus.SUSPENDED_OUTSIDE,
        AccountStatus.CONFLICT,
        JobState.DEAD,
        DeliveryStatus.FAILED,
    ),
    "dim": (AccountStatus.EXCLUDED, JobState.CANCELLED, DeliveryStatus.SUPERSEDED, HoldState.DISCARDED),
}
_COLOURS = {state: colour for colour, states in _BY_COLOUR.items() for state in states}


def out_console() -> Console:
    return Console(highlight=False)


def err_console() -> Console:
    return Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def dump_json(model: BaseModel) -> None:
    print_json(model.model_dump(mode="json"))


def when_cell(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def text_cell(value: Any) -> str:
    """A value as a table cell: escaped (data is never Rich markup), ``—`` for nothing."""
    if value is None or value in ("", [], {}):
        return "—"
    if isinstance(value, bool):
        return "sí" if value else "no"
    if isinstance(value, datetime):
        return when_cell(value)
    if isinstance(value, dict | list):
        return escape(json.dumps(value, ensure_ascii=False))
    return escape(str(value))


def state_cell(value: str | None) -> str:
    if not value:
        return "—"
    colour = _COLOURS.get(value)
    return f"[{colour}]{escape(value)}[/{colour}]" if colour else escape(value)


def make_table(title: str, columns: tuple[str, ...]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for column in columns:
        table.add_column(column)
    return table


def emit(console: Console, table: Table) -> None:
    """A table, or for an empty one just its title (which counts its rows: 0)."""
    console.print(table if table.row_count else f"[bold]{table.title}[/bold]")


def grid_table(title: str, rows: list[tuple[str, str]]) -> Table:
    grid = Table(title=title, title_justify="left", title_style="bold", show_header=False, box=None)
    grid.add_column(style="cyan", no_wrap=True)
    grid.add_column()
    for label, value in rows:
        grid.add_row(label, value)
    return grid


def print_more(next_page_token: str | None) -> None:
    if next_page_token:
        err_console().print(f"hay más resultados: repita con [bold]--page-token {next_page_token}[/bold]")


def jobs_table(console: Console, title: str, jobs: list[JobOut]) -> None:
    table = make_table(
        f"{title}: {len(jobs)}",
        ("id", "tipo", "persona", "estado", "intentos", "ejecutar desde", "último error"),
    )
    for job in jobs:
        table.add_row(
            str(job.id), escape(job.kind), str(job.person_id), state_cell(job.state),
            f"{job.attempts}/{job.max_attempts}", when_cell(job.run_after), text_cell(job.last_error),
        )  # fmt: skip
    emit(console, table)
