"""``misena audit``: the append-only audit trail at a terminal — who did what to whom and why.

A client of ``/v1/audit-events`` (an ``admin`` token), with the filters the API has.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from app.cli.api import api, staff_group
from app.cli.plumbing import MAX_ID, Json, Limit, PageToken, usage_error
from app.cli.rendering import emit, make_table, out_console, print_json, print_more, text_cell, when_cell
from app.i18n import cli_gettext as _
from app.staff.schemas import AuditOut

audit_cli = staff_group(_("The audit trail: who did what to whom, and why."))


def _instant(value: datetime | None, option: str) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.astimezone()  # as typed, in this machine's time zone
    if not 1990 <= value.year <= 2999:
        raise usage_error(_("between the years 1990 and 2999"), option)
    return value.isoformat()


@audit_cli.command("list", help=_("List the audit trail, newest first; filters combine."))
def audit_list(
    actor: Annotated[
        str | None,
        typer.Option(help=_("Who acted, e.g. token:mesa-de-ayuda or misena."), show_default=False),
    ] = None,
    action: Annotated[
        str | None, typer.Option(help=_("The action, e.g. person.suspend."), show_default=False)
    ] = None,
    person_id: Annotated[
        int | None, typer.Option(min=1, max=MAX_ID, help=_("Only this person's (id)."), show_default=False)
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option(
            help=_("From this instant on (inclusive; local time unless it says)."), show_default=False
        ),
    ] = None,
    until: Annotated[
        datetime | None, typer.Option(help=_("Before this instant (exclusive)."), show_default=False)
    ] = None,
    limit: Limit = 50,
    page_token: PageToken = None,
    as_json: Json = False,
) -> None:
    params = {"actor": actor, "action": action, "person_id": person_id,
              "since": _instant(since, "--since"), "until": _instant(until, "--until"),
              "limit": limit, "page_token": page_token}  # fmt: skip
    page = api().get("/v1/audit-events", params)
    if as_json:
        print_json(page)
        return
    entries = [AuditOut.model_validate(item) for item in page["items"]]
    table = make_table(
        _("Audit trail: {n}").format(n=len(entries)),
        (_("id"), _("when"), _("who"), _("action"), _("person"), _("target"), _("reason"), _("details")),
    )
    for a in entries:
        table.add_row(str(a.id), when_cell(a.at), text_cell(a.actor), text_cell(a.action),
                      text_cell(a.person_id), text_cell(a.target), text_cell(a.reason),
                      text_cell(a.details))  # fmt: skip
    emit(out_console(), table)
    print_more(page.get("next_page_token"))
