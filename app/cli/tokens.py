"""``misena tokens``: the IT staff API's tokens at a terminal — create (shown once), list,
revoke (help in Spanish, for SENA's IT staff).

Apart from the other groups because tokens are not about people or jobs: they are issued and
revoked by :mod:`app.staff.tokens`, which audits them in the same transaction, and a token's secret is
printed exactly once, alone on stdout.
"""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import TypeAdapter
from rich.markup import escape

from app.cli.plumbing import (
    MAX_ID,
    Actor,
    Json,
    actor_label,
    cli_clock,
    logs_to_stderr,
    open_database,
    refused,
    usage_error,
)
from app.cli.rendering import emit, err_console, make_table, out_console, print_json, text_cell, when_cell
from app.errors import ConflictError, not_found
from app.staff.tokens import ALREADY_REVOKED, Scope, TokenInfo, issue_token, list_tokens, revoke_token

tokens_cli = typer.Typer(
    help="Tokens de la API de la mesa de ayuda: crear (se muestran una sola vez), listar, revocar.",
    no_args_is_help=True,
)
tokens_cli.callback()(logs_to_stderr)


@tokens_cli.command("create")
def tokens_create(
    name: Annotated[str, typer.Option(help="Para quién o para qué es (p. ej. mesa-de-ayuda).")],
    scope: Annotated[
        list[Scope],
        typer.Option(help="Alcance; repítalo para varios. admin los incluye todos.", show_default=False),
    ],
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Crea un token de la API. Se muestra UNA sola vez: guárdelo en ese momento."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        usage_error("entre 1 y 100 caracteres", "--name")
    who = actor_label(actor)
    with open_database() as sessions:
        issued = issue_token(sessions, name, scope, created_by=who, clock=cli_clock)
    scopes = sorted(issued.scopes)
    warning = (
        "[bold yellow]Guarde este token ahora: no se volverá a mostrar[/bold yellow] "
        "(misena solo guarda su huella)."
    )
    if as_json:
        print_json(
            {"id": issued.id, "name": issued.name, "scopes": scopes, "created_by": who, "token": issued.token}
        )
        err_console().print(warning)
        return
    err_console().print(
        f"Token [bold]{issued.id}[/bold] «{escape(name)}» creado con alcances {', '.join(scopes)}:"
    )
    typer.echo(issued.token)  # alone on stdout, unwrapped: `misena tokens create ... > token.txt`
    err_console().print(warning)


@tokens_cli.command("list")
def tokens_list(as_json: Json = False) -> None:
    """Lista los tokens (nunca el token ni su huella): quién, alcances, último uso, revocado."""
    with open_database() as sessions:
        tokens = list_tokens(sessions)
    if as_json:
        print_json(TypeAdapter(list[TokenInfo]).dump_python(tokens, mode="json"))
        return
    table = make_table(
        f"Tokens: {len(tokens)}", ("id", "nombre", "alcances", "creado", "creado por", "último uso", "estado")
    )
    for t in tokens:
        status = f"[dim]revocado {when_cell(t.revoked_at)}[/dim]" if t.revoked_at else "[green]activo[/green]"
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


@tokens_cli.command("revoke")
def tokens_revoke(
    token_id: Annotated[
        int, typer.Argument(min=1, max=MAX_ID, help="Id del token (ver `misena tokens list`).")
    ],
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Revoca un token: deja de autenticar de inmediato."""
    who = actor_label(actor)
    with open_database() as sessions:
        if not revoke_token(sessions, token_id, who, clock=cli_clock):
            known = any(t.id == token_id for t in list_tokens(sessions))
            if known:
                refused(ConflictError(ALREADY_REVOKED))
            refused(not_found("token"))
    if as_json:
        print_json({"action": "token.revoke", "token_id": token_id, "status": "revoked"})
        return
    out_console().print(f"[green]✔[/green] token {token_id} revocado")
