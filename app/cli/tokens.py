"""``misena tokens``: the IT staff API's tokens, on the server — create (shown once), list,
revoke.

A server-side command, not an API client: the first admin token has to come from somewhere, so
these read the database of ``MISENA_DATABASE_URL`` (and nothing else: beside ``make run`` they
need no variable at all). Tokens are issued and revoked by :mod:`app.staff.tokens`, which audits
them in the same transaction, and a token's secret is printed exactly once, alone on stdout.
"""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import TypeAdapter
from rich.markup import escape

from app.cli.plumbing import MAX_ID, CliError, ExitCode, Json, usage_error
from app.cli.rendering import emit, err_console, make_table, out_console, print_json, text_cell, when_cell
from app.cli.server_side import Actor, actor_label, cli_clock, logs_to_stderr, open_database
from app.cli.spanish_typer import SpanishTyper
from app.i18n import cli_gettext as _
from app.staff.tokens import Scope, TokenInfo, issue_token, list_tokens, revoke_token

tokens_cli = SpanishTyper(
    help=_("The help desk API's tokens, on the server: create (shown only once), list, revoke."),
    no_args_is_help=True,
)
tokens_cli.callback()(logs_to_stderr)


@tokens_cli.command("create", help=_("Create an API token. It is shown ONCE: keep it at that moment."))
def tokens_create(
    name: Annotated[str, typer.Option(help=_("Who or what it is for (e.g. mesa-de-ayuda)."))],
    scope: Annotated[
        list[Scope],
        typer.Option(help=_("Scope; repeat it for several. admin holds them all."), show_default=False),
    ],
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise usage_error(_("between 1 and 100 characters"), "--name")
    who = actor_label(actor)
    with open_database() as sessions:
        issued = issue_token(sessions, name, scope, created_by=who, clock=cli_clock)
    scopes = sorted(issued.scopes)
    warning = _(
        "[bold yellow]Keep this token now: it will not be shown again[/bold yellow] "
        "(misena keeps only its fingerprint). Use it with `misena login --url URL --token TOKEN`."
    )
    if as_json:
        print_json(
            {"id": issued.id, "name": issued.name, "scopes": scopes, "created_by": who, "token": issued.token}
        )
        err_console().print(warning)
        return
    err_console().print(
        _("Token [bold]{id}[/bold] «{name}» created with scopes {scopes}:").format(
            id=issued.id, name=escape(name), scopes=", ".join(scopes)
        )
    )
    typer.echo(issued.token)  # alone on stdout, unwrapped: `misena tokens create ... > token.txt`
    err_console().print(warning)


@tokens_cli.command(
    "list", help=_("List the tokens (never the token nor its fingerprint): who, scopes, last use, revoked.")
)
def tokens_list(as_json: Json = False) -> None:
    with open_database() as sessions:
        tokens = list_tokens(sessions)
    if as_json:
        print_json(TypeAdapter(list[TokenInfo]).dump_python(tokens, mode="json"))
        return
    table = make_table(
        _("Tokens: {n}").format(n=len(tokens)),
        (_("id"), _("name"), _("scopes"), _("created"), _("created by"), _("last use"), _("state")),
    )
    for t in tokens:
        status = (
            "[dim]" + _("revoked {when}").format(when=when_cell(t.revoked_at)) + "[/dim]"
            if t.revoked_at
            else "[green]" + _("valid") + "[/green]"
        )
        table.add_row(
            str(t.id),
            text_cell(t.name),
            ", ".join(t.scopes),
            when_cell(t.created_at),
            text_cell(t.created_by),
            when_cell(t.last_used_at),
            status,
        )
    emit(out_console(), table)


@tokens_cli.command("revoke", help=_("Revoke a token: it stops authenticating at once."))
def tokens_revoke(
    token_id: Annotated[
        int,
        typer.Argument(min=1, max=MAX_ID, metavar="ID", help=_("The token's id (see `misena tokens list`).")),
    ],
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    who = actor_label(actor)
    with open_database() as sessions:
        if not revoke_token(sessions, token_id, who, clock=cli_clock):
            known = any(t.id == token_id for t in list_tokens(sessions))
            if known:
                raise CliError(ExitCode.REFUSED, _("the token is already revoked"))
            raise CliError(ExitCode.NOT_FOUND, _("no token with that id"))
    if as_json:
        print_json({"action": "token.revoke", "token_id": token_id, "status": "revoked"})
        return
    out_console().print("[green]✔[/green] " + _("token {id} revoked").format(id=token_id))
