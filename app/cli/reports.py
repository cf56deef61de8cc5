"""``misena report``: how the accounts are taken up, for SENA's coordinators — a client of
``/v1/reports`` (an ``accounts:read`` token). A table at the terminal, ``--json`` as the API
answers, or the file (``--format excel|csv``) the service exports."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

import typer

from app.cli.api import api, staff_group
from app.cli.downloads import Format, Output, save
from app.cli.plumbing import Json
from app.cli.rendering import emit, err_console, make_table, out_console, print_json, text_cell
from app.i18n import cli_gettext as _
from app.lookup.activation_report import ActivationReport, GroupBy

report_cli = staff_group(_("Reports: how the Mi SENA accounts are taken up."))

GROUPS = {GroupBy.REGIONAL: _("regional"), GroupBy.CENTRO: _("centro"), GroupBy.FICHA: _("ficha")}
#: Each count and its column at the terminal.
COLUMNS = {
    "people": _("people"),
    "delivered": _("delivered"),
    "signed_in": _("signed in"),
    "pending": _("pending"),
    "reminded": _("reminded"),
    "flagged": _("help desk"),
    "delivery_failed": _("delivery failed"),
}


@report_cli.command(
    "activation",
    help=_(
        "Activation: per regional, centro or ficha, credentials delivered, signed in, pending, "
        "reminded, flagged for the help desk and delivery failed."
    ),
)
def activation(
    by: Annotated[
        GroupBy, typer.Option("--by", help=_("Group by regional, centro or ficha."))
    ] = GroupBy.REGIONAL,
    regional: Annotated[
        str | None, typer.Option(help=_("Only this regional (code)."), show_default=False)
    ] = None,
    centro: Annotated[
        str | None, typer.Option(help=_("Only this centro (code)."), show_default=False)
    ] = None,
    ficha: Annotated[str | None, typer.Option(help=_("Only this ficha."), show_default=False)] = None,
    export_format: Format = None,
    output: Output = None,
    as_json: Json = False,
) -> None:
    params = {"group_by": by.value, "regional": regional, "centro": centro, "ficha": ficha}
    client = api()
    if export_format is not None:
        query = urlencode({k: v for k, v in {**params, "format": export_format.value}.items() if v})
        with client.stream(f"/v1/reports/activation?{query}") as response:
            path = save(response, output, f"activation-{by.value}.csv")
        if path is not None:
            err_console().print(_("Report written to {path}").format(path=path), soft_wrap=True)
        return
    answer = client.get("/v1/reports/activation", params)
    if as_json:
        print_json(answer)
        return
    report = ActivationReport.model_validate(answer)
    table = make_table(
        _("Activation by {group}: {n}").format(group=GROUPS[by], n=len(report.groups)),
        (GROUPS[by], _("name"), *COLUMNS.values()),
    )
    for group in report.groups:
        table.add_row(text_cell(group.code), text_cell(group.name),
                      *(str(getattr(group, count)) for count in COLUMNS))  # fmt: skip
    total = _("total")
    table.add_row(f"[bold]{total}[/bold]", "", *(f"[bold]{getattr(report.total, c)}[/bold]" for c in COLUMNS))
    emit(out_console(), table)
