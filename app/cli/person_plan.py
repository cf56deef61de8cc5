"""One person's plan at a terminal, as ``misena accounts explain`` draws it: the account misena
wants, the account Google has now, and each Google call a reconcile would make — none made.

Apart from :mod:`app.cli.accounts` because it only draws the
:class:`~app.accounts.schemas.PlanOut` the API answers with (``--json`` prints it whole).
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from app.accounts.schemas import GoogleCallOut, PlanOut
from app.cli.rendering import emit, grid_table, make_table, text_cell, when_cell
from app.i18n import cli_gettext as _

OUTCOMES = {
    "account": _("the reconcile would make these calls"),
    "none": _("no account warranted: no call"),
    "excluded": _("excluded from misena's management: no call"),
    "refused": _("an account misena must not touch: no call"),
    "restore": _("the recorded account is gone from Google: the reconcile restores it first"),
}


def show_plan(console: Console, plan: PlanOut) -> None:
    console.print(f"[bold]{OUTCOMES.get(plan.outcome, plan.outcome)}[/bold]")
    if plan.detail:
        console.print(escape(plan.detail))
    wanted = plan.desired
    if wanted is not None:
        rows = [
            (_("address"), text_cell(wanted.primary_email)),
            (_("names"), escape(f"{wanted.given_name} {wanted.family_name}")),
            (_("org unit"), text_cell(wanted.org_unit_path)),
            (_("suspended"), _("yes") if wanted.suspended else _("no")),
            (_("groups"), text_cell(", ".join(wanted.groups) or None)),
            (_("next review"), when_cell(wanted.review_at)),
        ]
        emit(console, grid_table(_("Desired account"), rows))
    emit(console, grid_table(_("Account in Google now"), _google_rows(plan.google_account)))
    _calls(console, _("Reads made to explain it: {n}").format(n=len(plan.reads)), plan.reads)
    _calls(console, _("Calls the reconcile would make: {n}").format(n=len(plan.calls)), plan.calls)


def _google_rows(account: dict[str, Any] | None) -> list[tuple[str, str]]:
    if account is None:
        return [(_("account"), _("none in Google"))]
    name = account.get("name") or {}
    return [
        (_("address"), text_cell(account.get("primary_email"))),
        (_("names"), escape(f"{name.get('given_name', '')} {name.get('family_name', '')}")),
        (_("org unit"), text_cell(account.get("org_unit_path"))),
        (_("suspended"), _("yes") if account.get("suspended") else _("no")),
    ]


def _calls(console: Console, title: str, calls: list[GoogleCallOut]) -> None:
    table = make_table(title, (_("API"), _("method"), _("key"), _("fields written"), _("note")))
    for call in calls:
        table.add_row(
            call.api,
            call.method,
            text_cell(call.key),
            text_cell(", ".join(call.changes) or None),
            text_cell(call.note or None),
        )
    emit(console, table)
