"""What the staff commands print: consoles, tables, cells, Spanish names for the API's values,
and JSON.

Apart from the commands so every group renders alike: a value becomes a table cell by one rule
(escaped, since data is never Rich markup; ``—`` for nothing; ``sí``/``no``; instants in UTC),
a state is shown by its Spanish name and coloured by meaning, a field by its Spanish label, an
empty table prints just its title, and ``--json`` prints the API's JSON as it came. Piped output
never wraps (a command the output asks to copy stays on one line); at a terminal Rich fits it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from app.db.states import (
    AccountStatus,
    DeliveryStatus,
    HoldState,
    JobKind,
    JobState,
    SyncItemState,
    SyncRunStatus,
)
from app.i18n import cli_gettext as _
from app.jobs.schemas import JobOut

#: Wide enough that no line is ever folded when the output is not a terminal.
PIPE_WIDTH = 100_000

ACCOUNT_STATES = {
    AccountStatus.PENDING: _("pending"),
    AccountStatus.ACTIVE: _("active"),
    AccountStatus.CREDENTIALS_PENDING: _("credentials pending"),
    AccountStatus.SUSPENDED: _("suspended"),
    AccountStatus.SUSPENDED_OUTSIDE: _("suspended outside misena"),
    AccountStatus.CONFLICT: _("in conflict"),
    AccountStatus.EXCLUDED: _("excluded"),
}
JOB_KINDS: dict[str, str] = {
    JobKind.RECONCILE: _("reconcile"),
    JobKind.DELIVER: _("credentials email"),
}
JOB_STATES = {
    JobState.PENDING: _("pending"),
    JobState.RUNNING: _("running"),
    JobState.DONE: _("done"),
    JobState.DEAD: _("dead"),
    JobState.CANCELLED: _("cancelled"),
}
HOLD_STATES = {
    HoldState.HELD: _("held"),
    HoldState.RELEASED: _("released"),
    HoldState.DISCARDED: _("discarded"),
    HoldState.OBSOLETE: _("obsolete"),
}
DELIVERY_STATES = {
    DeliveryStatus.PENDING: _("pending"),
    DeliveryStatus.WAITING: _("waiting for a sender"),
    DeliveryStatus.SENT: _("sent"),
    DeliveryStatus.FAILED: _("failed"),
    DeliveryStatus.SUPERSEDED: _("superseded"),
    DeliveryStatus.NO_RECIPIENT: _("no recipient"),
}
RUN_STATES = {
    SyncRunStatus.PLANNED: _("plan ready"),
    SyncRunStatus.REFUSED: _("plan refused"),
    SyncRunStatus.APPLYING: _("being applied"),
    SyncRunStatus.APPLIED: _("plan applied"),
}
ITEM_STATES = {
    SyncItemState.PENDING: _("pending"),
    SyncItemState.APPLIED: _("applied"),
    SyncItemState.SKIPPED: _("skipped"),
}

#: Field names of the API's answers, as a person reads them.
LABELS = {
    "id": _("id"),
    "kind": _("kind"),
    "person_id": _("person (id)"),
    "state": _("state"),
    "attempts": _("attempts"),
    "max_attempts": _("maximum attempts"),
    "run_after": _("run from"),
    "last_error": _("last error"),
    "created_at": _("created"),
    "updated_at": _("updated"),
    "finished_at": _("finished"),
    "document_type": _("document type"),
    "document_number": _("document number"),
    "first_names": _("first names"),
    "last_names": _("last names"),
    "personal_email": _("personal email"),
    "mobile_e164": _("mobile"),
    "birth_date": _("birth date"),
    "roles": _("roles"),
    "previous_keys": _("former documents"),
    "ever_instructor": _("was ever an instructor"),
    "instructor_fichas": _("fichas as instructor"),
    "primary_email": _("account email"),
    "given_name": _("given name"),
    "family_name": _("family name"),
    "org_unit_path": _("org unit"),
    "recovery_email": _("recovery email"),
    "recovery_phone": _("recovery phone"),
    "external_id": _("external id"),
    "custom_schema_values": _("Sofia Plus fields in Google"),
    "role": _("role"),
    "custom_schema": _("custom schema"),
    "external_id_type": _("external id type"),
    "former_documents": _("former documents"),
    "suspended": _("suspended"),
    "google_user_id": _("Google user id"),
    "suspended_by_misena": _("suspended by misena"),
    "suspension_reason": _("suspension reason"),
    "suspended_at": _("suspended at"),
    "group_memberships": _("ficha groups"),
    "next_review_at": _("next review"),
    "standing_reason": _("why"),
    "review_at": _("review at"),
    "groups": _("groups"),
    "excluded_accounts": _("excluded accounts"),
    "excluded_org_units": _("excluded org units"),
    "name": _("name"),
    "archived": _("archived"),
    "is_admin": _("administrator"),
    "change_password_at_next_login": _("change password at sign-in"),
    "external_ids": _("external ids"),
    "phones": _("phones"),
    "aliases": _("aliases"),
    "custom_schemas": _("custom schemas"),
    "creation_time": _("created in Google"),
}

#: Colour by meaning: fine, on its way, wrong, or out of play. States of different vocabularies
#: spelled alike (a pending job, a pending delivery) share one colour.
_BY_COLOUR: dict[str, tuple[str, ...]] = {
    "green": (AccountStatus.ACTIVE, JobState.DONE, DeliveryStatus.SENT, HoldState.RELEASED,
              SyncRunStatus.APPLIED, SyncItemState.APPLIED, "EN_FORMACION"),
    "yellow": (AccountStatus.PENDING, JobState.PENDING, DeliveryStatus.WAITING, JobState.RUNNING,
               AccountStatus.CREDENTIALS_PENDING, HoldState.HELD, SyncRunStatus.APPLYING),
    "red": (AccountStatus.SUSPENDED, AccountStatus.SUSPENDED_OUTSIDE, AccountStatus.CONFLICT, JobState.DEAD,
            DeliveryStatus.FAILED, SyncRunStatus.REFUSED),
    "dim": (AccountStatus.EXCLUDED, JobState.CANCELLED, DeliveryStatus.SUPERSEDED, HoldState.DISCARDED,
            HoldState.OBSOLETE, SyncItemState.SKIPPED),
}  # fmt: skip
_COLOURS = {str(state): colour for colour, states in _BY_COLOUR.items() for state in states}


def _console(stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr, highlight=False)
    return Console(stderr=stderr, highlight=False, width=PIPE_WIDTH, soft_wrap=True)


def out_console() -> Console:
    return _console(stderr=False)


def err_console() -> Console:
    return _console(stderr=True)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def label(field: str) -> str:
    return LABELS.get(field, field.replace("_", " "))


def when_cell(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _looks_like_instant(text: str) -> bool:
    """An ISO 8601 instant as the API writes them (``2026-01-20T13:15:02Z``)."""
    if len(text) < 20 or text[4:5] != "-" or text[10:11] != "T":
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def text_cell(value: Any) -> str:
    """A value as a table cell: escaped (data is never Rich markup), ``—`` for nothing."""
    if value is None or value in ("", [], {}):
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return when_cell(value)
    if isinstance(value, str) and _looks_like_instant(value):
        return when_cell(datetime.fromisoformat(value))
    if isinstance(value, dict | list):
        return escape(json.dumps(value, ensure_ascii=False))
    return escape(str(value))


def state_cell(value: str | None, names: Mapping[Any, str] | None = None) -> str:
    """A state by its Spanish name (from ``names``, the state's vocabulary), coloured."""
    if not value:
        return "—"
    shown = escape((names or {}).get(value, value))
    colour = _COLOURS.get(str(value))
    return f"[{colour}]{shown}[/{colour}]" if colour else shown


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
    for name, value in rows:
        grid.add_row(name, value)
    return grid


def fields_table(title: str, values: Mapping[str, Any]) -> Table:
    """A record's fields, each by its Spanish label."""
    return grid_table(title, [(label(k), text_cell(v)) for k, v in values.items()])


def print_more(next_page_token: str | None) -> None:
    if next_page_token:
        err_console().print(
            _("there are more results: repeat with [bold]--page-token {token}[/bold]").format(
                token=escape(next_page_token)
            )
        )


def jobs_table(console: Console, title: str, jobs: list[JobOut]) -> None:
    table = make_table(
        f"{title}: {len(jobs)}",
        (_("id"), _("kind"), _("person"), _("state"), _("attempts"), _("run from"), _("last error")),
    )
    for job in jobs:
        table.add_row(
            str(job.id), escape(JOB_KINDS.get(job.kind, job.kind)), str(job.person_id),
            state_cell(job.state, JOB_STATES), f"{job.attempts}/{job.max_attempts}", when_cell(job.run_after),
            text_cell(job.last_error),
        )  # fmt: skip
    emit(console, table)
