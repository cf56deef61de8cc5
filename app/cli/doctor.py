"""``misena doctor``: the preflight (:mod:`app.doctor`) at a terminal, a Spanish table or ``--json``.

A server-side command: it reads the ``MISENA_*`` settings ``serve`` reads, but not its refusal of
a missing key — telling what is missing is its job. It exits 0 when no check fails (a warning
passes); otherwise with the code of the first failure's kind (:mod:`app.cli.plumbing`): 5 for
Google's side, 2 for a setting of this machine (secrets, clock), 6 for the database.
"""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli.plumbing import ExitCode
from app.cli.rendering import emit, err_console, make_table, out_console, print_json, text_cell
from app.cli.server_side import load_settings, logs_to_stderr
from app.doctor.report import Area, Report, Status
from app.doctor.run import run_doctor
from app.i18n import cli_gettext as _

EXIT_BY_AREA = {
    Area.GOOGLE: ExitCode.UPSTREAM,
    Area.SETTINGS: ExitCode.USAGE,
    Area.DATABASE: ExitCode.UNAVAILABLE,
}
STATUS_NAMES = {
    Status.OK: "[green]" + _("ok") + "[/green]",
    Status.WARN: "[yellow]" + _("warning") + "[/yellow]",
    Status.FAIL: "[red]" + _("failed") + "[/red]",
    Status.SKIPPED: "[dim]" + _("skipped") + "[/dim]",
}


def exit_code(report: Report) -> int:
    return int(EXIT_BY_AREA[report.failures[0].area]) if report.failures else int(ExitCode.DONE)


def _print_table(report: Report) -> None:
    table = make_table(_("misena doctor"), (_("Check"), _("Result"), _("What was found"), _("What to do")))
    for verdict in report.verdicts:
        hint = text_cell(verdict.hint.es) if verdict.hint is not None else "—"
        table.add_row(
            text_cell(verdict.name), STATUS_NAMES[verdict.status], text_cell(verdict.message.es), hint
        )
    emit(out_console(), table)
    if report.passed:
        err_console().print("[green]" + _("every check passed") + "[/green]")
    else:
        err_console().print(
            "[red]" + _("{count} check(s) failed").format(count=len(report.failures)) + "[/red]"
        )


def doctor(
    as_json: Annotated[bool, typer.Option("--json", help=_("Print the report as JSON."))] = False,
) -> None:
    settings = load_settings()
    logs_to_stderr()
    report = run_doctor(settings)
    if as_json:
        print_json(report.as_json())
    else:
        _print_table(report)
    code = exit_code(report)
    if code:
        raise typer.Exit(code)
