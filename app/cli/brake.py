"""``misena brake``: the suspension circuit breaker at a terminal — the suspensions it held and
IT staff's decision on them.

A client of ``/v1/suspension-holds`` (releasing and discarding need an ``admin`` token), so a
decision is the service's and is audited under the profile's token.
"""

from __future__ import annotations

from typing import Annotated

import typer

from app.accounts.schemas import HoldOut
from app.cli.api import api, staff_group
from app.cli.plumbing import Json, Limit, PageToken, Reason, checked_reason, usage_error
from app.cli.rendering import (
    HOLD_STATES,
    emit,
    make_table,
    out_console,
    print_json,
    print_more,
    state_cell,
    text_cell,
    when_cell,
)
from app.db.states import HoldState
from app.i18n import cli_gettext as _

brake_cli = staff_group(_("Suspension brake: suspensions held for going over the limit."))


@brake_cli.command("list", help=_("List the held suspensions waiting for a decision."))
def list_held(
    state: Annotated[
        HoldState, typer.Option(help=_("Those in this state (held: waiting for a decision)."))
    ] = HoldState.HELD,
    limit: Limit = 50,
    page_token: PageToken = None,
    as_json: Json = False,
) -> None:
    page = api().get("/v1/suspension-holds", {"state": state.value, "limit": limit, "page_token": page_token})
    if as_json:
        print_json(page)
        return
    holds = [HoldOut.model_validate(item) for item in page["items"]]
    table = make_table(
        _("Held suspensions: {n}").format(n=len(holds)),
        (_("id"), _("person"), _("reason"), _("state"), _("held"), _("decided"), _("by")),
    )
    for h in holds:
        table.add_row(str(h.id), str(h.person_id), text_cell(h.reason), state_cell(h.state, HOLD_STATES),
                      when_cell(h.held_at), when_cell(h.decided_at), text_cell(h.decided_by))  # fmt: skip
    emit(out_console(), table)
    print_more(page.get("next_page_token"))


def _decide(ids: list[int] | None, every: bool, reason: str | None, release: bool, as_json: bool) -> None:
    if bool(ids) == every:
        raise usage_error(_("give the ids of the held suspensions or --all (one of the two)"))
    body = {"ids": None if every else ids, "reason": checked_reason(reason)}
    counted = api().post(
        "/v1/suspension-holds/release" if release else "/v1/suspension-holds/discard",
        body,
        not_found=_("no held suspension with that id"),
    )
    if as_json:
        print_json(counted)
        return
    done = (
        _("{n} suspensions released (the accounts will be suspended)")
        if release
        else _("{n} suspensions discarded (the accounts stay active)")
    )
    out_console().print("[green]✔[/green] " + done.format(n=counted["count"]))


Ids = Annotated[
    list[int] | None,
    typer.Argument(help=_("Ids of the held suspensions (see `misena brake list`)."), show_default=False),
]
All = Annotated[bool, typer.Option("--all", help=_("Every held one."))]


@brake_cli.command(help=_("Release held suspensions: the accounts are suspended at the next reconcile."))
def release(ids: Ids = None, every: All = False, reason: Reason = None, as_json: Json = False) -> None:
    _decide(ids, every, reason, release=True, as_json=as_json)


@brake_cli.command(help=_("Discard held suspensions: the accounts stay active while the reason holds."))
def discard(ids: Ids = None, every: All = False, reason: Reason = None, as_json: Json = False) -> None:
    _decide(ids, every, reason, release=False, as_json=as_json)
