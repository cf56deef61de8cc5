"""``misena sync``: bulk reconciliation from a Sofia Plus roster at a terminal.

A client of ``/v1/sync-runs`` (a ``sync:run`` token): ``misena sync plan reporte.csv --scope
centro:9229`` uploads the export and the service reads Google once and stores the plan
(``misena sync pull --scope ...`` has the service fetch the export from Sofia Plus instead);
``misena sync apply RUN_ID [--confirm N]`` queues the work; ``show``, ``list`` and ``export``
look at runs. A plan the service refuses exits 4 and prints the exact command that confirms it.
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli.api import LONG_TIMEOUT, Api, api, staff_group
from app.cli.downloads import Format, Output, save
from app.cli.plumbing import MAX_ID, CliError, ExitCode, Json, Limit, PageToken, usage_error
from app.cli.rendering import (
    RUN_STATES,
    emit,
    err_console,
    make_table,
    out_console,
    print_json,
    print_more,
    state_cell,
    text_cell,
    when_cell,
)
from app.i18n import cli_gettext as _
from app.spreadsheet import ExportFormat

sync_cli = staff_group(_("Bulk sync from a Sofia Plus export: plan, review and apply."))


ACTION_NAMES = {
    "create": _("create"),
    "rename": _("rename"),
    "suspend": _("suspend"),
    "reactivate": _("reactivate"),
    "move": _("move to another unit"),
    "update": _("update"),
    "groups": _("ficha groups"),
    "left_alone": _("left alone"),
    "unchanged": _("unchanged"),
}
ROSTER_TYPES = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
RunId = Annotated[
    int,
    typer.Argument(min=1, max=MAX_ID, metavar="ID", help=_("The sync run's id (from `misena sync plan`).")),
]
Scope = Annotated[str, typer.Option(help=_("all, regional:<code> or centro:<code>."))]
NO_RUN = _("no sync run with that id")


def confirm_command(run: dict[str, Any]) -> str:
    return f"misena sync apply {run['id']} --confirm {run.get('suspensions', 0)}"


def _show(run: dict[str, Any]) -> None:
    out = out_console()
    status = state_cell(run.get("status"), RUN_STATES)
    table = make_table(
        _("Sync run {id} · scope {scope} · {status}").format(
            id=run["id"], scope=run.get("scope"), status=status
        ),
        (_("action"), _("people")),
    )
    for action, count in (run.get("counts") or {}).items():
        table.add_row(ACTION_NAMES.get(action, action), str(count))
    emit(out, table)
    out.print(
        _("Roster: {rows} rows, {people} people in scope, {bad} rows with errors · managed accounts in "
          "scope: {managed} · Directory calls: {calls}").format(
            rows=run.get("roster_rows"), people=run.get("roster_people"), bad=run.get("bad_rows"),
            managed=run.get("managed_in_scope"), calls=run.get("directory_calls"),
        )
    )  # fmt: skip
    for error in (run.get("roster_errors") or [])[:20]:
        out.print(
            "  [yellow]"
            + _("line {line}").format(line=error.get("line"))
            + f"[/yellow]: {text_cell(error.get('reason'))}"
        )
    if run.get("applied_at"):
        out.print(_("Applied: {when}").format(when=when_cell(datetime.fromisoformat(run["applied_at"]))))
    if run.get("progress"):
        out.print(_("Progress: ") + ", ".join(f"{k}={v}" for k, v in sorted(run["progress"].items())))


def _refusal(run: dict[str, Any]) -> CliError:
    why = run.get("refusal_es") or run.get("refusal_en") or ""
    return CliError(
        ExitCode.REFUSED,
        _("plan {id} refused: {why} To apply it anyway, confirm its {n} suspensions: {command}").format(
            id=run["id"], why=why, n=run.get("suspensions", 0), command=confirm_command(run)
        ),
        prefixed=False,
    )


def _answer(run: dict[str, Any], as_json: bool) -> None:
    """The run, as JSON or tables; a refused plan then exits 4 saying how to confirm it."""
    if as_json:
        print_json(run)
    else:
        _show(run)
    if run.get("status") == "refused":
        raise _refusal(run)


@sync_cli.command(
    "plan", help=_("Compute the plan (changes nothing): create, update, move, rename, suspend, reactivate.")
)
def plan(
    roster: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help=_("Sofia Plus export (CSV or XLSX).")
        ),
    ],
    scope: Scope = "all",
    exported_at: Annotated[
        datetime | None,
        typer.Option(help=_("When Sofia Plus exported it (default: now)."), show_default=False),
    ] = None,
    as_json: Json = False,
) -> None:
    params = {"scope": scope, "source_name": roster.name[:300]}
    if exported_at is not None:
        params["exported_at"] = (exported_at if exported_at.tzinfo else exported_at.astimezone()).isoformat()
    media = ROSTER_TYPES.get(roster.suffix.lower(), "application/octet-stream")
    client = api()
    try:
        handle = roster.open("rb")
    except OSError as exc:
        raise usage_error(_("cannot read {path}: {why}").format(path=roster, why=exc.strerror)) from None
    # A spinner where someone watches; piped (a script, a log), nothing to draw and erase.
    spinner = (
        err_console().status(_("Reading the roster and Google…")) if sys.stderr.isatty() else nullcontext()
    )
    with handle, spinner:
        response = client.send(
                "POST", "/v1/sync-runs", params=params, content=handle,
                headers={"Content-Type": media}, timeout=LONG_TIMEOUT,
            )  # fmt: skip
    _answer(response.json(), as_json)


@sync_cli.command(
    "pull",
    help=_(
        "Have the service download the export from Sofia Plus (MISENA_SOFIA_ROSTER_URL) "
        "and plan it (changes nothing)."
    ),
)
def pull(scope: Scope = "all", as_json: Json = False) -> None:
    run = api().post("/v1/sync-runs/pull", {"scope": scope}, long=True)
    _answer(run, as_json)


@sync_cli.command(
    "apply", help=_("Apply the plan: queue its work (resumable; what was applied is not repeated).")
)
def apply(
    run_id: RunId,
    confirm: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=MAX_ID,
            help=_(
                "For a refused plan: its exact number of suspensions. Confirmed, they pass the "
                "suspension brake once."
            ),
            show_default=False,
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    client = api()
    if confirm is None:
        run = client.get(f"/v1/sync-runs/{run_id}", not_found=NO_RUN)
        if run.get("status") == "refused":
            raise _refusal(run)  # nothing started: no request that would only be refused
    applied = client.post(f"/v1/sync-runs/{run_id}/apply", {"confirm": confirm}, not_found=NO_RUN, long=True)
    if as_json:
        print_json(applied)
        return
    _show(applied)


@sync_cli.command("show", help=_("Show a sync run: counts, refusal, roster errors and progress."))
def show(run_id: RunId, as_json: Json = False) -> None:
    run = api().get(f"/v1/sync-runs/{run_id}", not_found=NO_RUN)
    if as_json:
        print_json(run)
        return
    _show(run)
    if run.get("status") == "refused":
        err_console().print(f"[red]{_refusal(run).message}[/red]", soft_wrap=True)


@sync_cli.command("list", help=_("List the sync runs, newest first."))
def list_runs(limit: Limit = 20, page_token: PageToken = None, as_json: Json = False) -> None:
    page = api().get("/v1/sync-runs", {"limit": limit, "page_token": page_token})
    if as_json:
        print_json(page)
        return
    runs = page["items"]
    table = make_table(
        _("Sync runs: {n}").format(n=len(runs)),
        (_("id"), _("created"), _("by"), _("scope"), _("roster"), _("state"), _("suspensions")),
    )
    for run in runs:
        table.add_row(str(run["id"]), when_cell(datetime.fromisoformat(run["created_at"])),
                      text_cell(run.get("created_by")), text_cell(run.get("scope")),
                      text_cell(run.get("source_name")), state_cell(run.get("status"), RUN_STATES),
                      str(run.get("suspensions", 0)))  # fmt: skip
    emit(out_console(), table)
    print_more(page.get("next_page_token"))


@sync_cli.command("export", help=_("Download the whole plan, person by person, as the service exports it."))
def export(run_id: RunId, output: Output = None, export_format: Format = None) -> None:
    _download(api(), run_id, output, export_format)


def _download(client: Api, run_id: int, output: str | None, export_format: ExportFormat | None) -> None:
    query = f"?format={export_format.value}" if export_format else ""
    with client.stream(f"/v1/sync-runs/{run_id}/plan.csv{query}", not_found=NO_RUN) as response:
        path = save(response, output, f"sync-{run_id}.csv")
    if path is not None:
        err_console().print(_("Plan written to {path}").format(path=path), soft_wrap=True)
