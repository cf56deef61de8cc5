"""``misena accounts``: people's Mi SENA accounts at a terminal — search, the whole picture of
one person, and the IT staff's corrections (help in Spanish, for SENA's IT staff).

The same code answers here and over HTTP: people are found and pictured by
:mod:`app.lookup.queries`, every change to a person goes through :class:`app.staff.actions.StaffActions`
(so it lands in the audit trail as ``cli:<actor>``, in the same transaction), and ``--json``
prints the very schemas the API answers with. Apart from ``misena jobs`` and ``misena tokens``
because only this group names a person (by document or ``--id``) and draws a person's picture.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session, sessionmaker

from app.cli.person_picture import show
from app.cli.plumbing import (
    MAX_ID,
    Actor,
    Json,
    Limit,
    PageToken,
    Reason,
    RequiredReason,
    actor_label,
    checked_reason,
    cli_clock,
    load_settings,
    logs_to_stderr,
    open_database,
    refused,
    required_reason,
    usage_error,
)
from app.cli.rendering import (
    dump_json,
    emit,
    err_console,
    make_table,
    out_console,
    print_more,
    state_cell,
    text_cell,
)
from app.db.models import Person
from app.db.states import AccountStatus
from app.errors import NO_SUCH_DOCUMENT, MisenaError, NotFoundError, not_found
from app.http.v1.schemas import Accepted, PageOf
from app.lookup import queries as people_queries
from app.lookup.schemas import PersonSummary
from app.people import repository as people_repository
from app.staff.actions import StaffActions

accounts_cli = typer.Typer(
    help="Cuentas Mi SENA de las personas: buscar, ver el cuadro completo y corregir.",
    no_args_is_help=True,
)
accounts_cli.callback()(logs_to_stderr)


Document = Annotated[
    str | None,
    typer.Argument(
        metavar="DOCUMENTO",
        help="Número de documento (1098765432, con o sin separadores) o tipo:número (TI:1098765432);"
        " también encuentra a quien cambió de documento (TI → CC) por el anterior.",
        show_default=False,
    ),
]
PersonIdOption = Annotated[
    int | None,
    typer.Option("--id", min=1, max=MAX_ID, help="El id de la persona en misena, en lugar del documento."),
]


def _person(sessions: sessionmaker[Session], document: str | None, person_id: int | None) -> tuple[int, str]:
    """The one person meant: ``(id, person_key)``; exits 3 if nobody matches, 2 (say which) if
    several do."""
    if document is None and person_id is not None:
        return _person_by_id(sessions, person_id)
    if document is None or person_id is not None:
        usage_error("indique el documento o --id (uno de los dos)")
    return _person_by_document(sessions, document)


def _person_by_id(sessions: sessionmaker[Session], person_id: int) -> tuple[int, str]:
    with sessions() as session:
        person = people_repository.get(session, person_id)
        if person is None:
            refused(not_found("person"))
        return person.id, person.person_key


def _person_by_document(sessions: sessionmaker[Session], document: str) -> tuple[int, str]:
    with sessions() as session:
        try:
            people = people_repository.find_by_document(session, document)
        except ValueError:
            usage_error("use 1098765432 o tipo:número, p. ej. TI:1098765432 (tipos CC, TI, CE, PEP, PPT, PA)")
        if not people:
            refused(NotFoundError(NO_SUCH_DOCUMENT))
        if len(people) > 1:
            _print_people(err_console(), f"Varias personas tienen ese número: {len(people)}", people)
            err_console().print(
                "[red]Indique cuál: con el tipo de documento (p. ej. [bold]TI:1098765432[/bold]) "
                "o con [bold]--id[/bold].[/red]"
            )
            raise typer.Exit(2)
        return people[0].id, people[0].person_key


def _print_people(console: Console, title: str, people: list[Person]) -> None:
    table = make_table(title, ("id", "documento", "nombres", "cuenta", "estado", "motivo"))
    for person in people:
        summary = PersonSummary.of(person)
        flags = [f for f, on in (("excluida", summary.excluded), ("susp. TI", summary.staff_suspended)) if on]
        table.add_row(
            str(summary.id),
            escape(summary.person_key),
            escape(f"{summary.first_names} {summary.last_names}"),
            text_cell(summary.account_email),
            state_cell(summary.account_status) + "".join(f" [magenta]{f}[/magenta]" for f in flags),
            text_cell(summary.status_reason),
        )
    emit(console, table)


def _ficha(value: str | None) -> str | None:
    if value is not None and not (len(value) <= 20 and value.replace("-", "").isalnum() and value.isascii()):
        raise typer.BadParameter("solo letras, dígitos y guiones (hasta 20)")
    return value


@accounts_cli.command("search")
def accounts_search(
    document: Annotated[str | None, typer.Option(help="Número de documento, con o sin separadores.")] = None,
    email: Annotated[str | None, typer.Option(help="Correo de la cuenta o personal (o parte).")] = None,
    name: Annotated[str | None, typer.Option(help="Parte de los nombres o apellidos.")] = None,
    ficha: Annotated[str | None, typer.Option(help="Ficha (completa).", callback=_ficha)] = None,
    state: Annotated[AccountStatus | None, typer.Option(help="Estado de la cuenta.")] = None,
    limit: Limit = 50,
    page_token: PageToken = None,
    as_json: Json = False,
) -> None:
    """Busca personas (las más recientes primero); los filtros se combinan."""
    filters = people_queries.PeopleFilter(document=document, email=email, name=name, ficha=ficha, state=state)
    with open_database() as sessions, sessions() as session:
        try:
            page = people_queries.search_people(session, filters, page_token, limit)
        except MisenaError as exc:
            refused(exc)
        if as_json:
            found = PageOf[PersonSummary](
                items=[PersonSummary.of(p) for p in page.items], next_page_token=page.next_page_token
            )
            dump_json(found)
            return
        _print_people(out_console(), f"Personas: {len(page.items)}", page.items)
    print_more(page.next_page_token)


@accounts_cli.command("show")
def accounts_show(document: Document = None, person_id: PersonIdOption = None, as_json: Json = False) -> None:
    """Todo sobre una persona: registro de Sofia Plus, cuenta deseada, estado en Workspace,
    trabajos, envíos de credenciales (nunca la contraseña), retenciones y auditoría."""
    settings = load_settings()
    with open_database(settings) as sessions:
        found, _ = _person(sessions, document, person_id)
        with sessions() as session:
            try:
                detail = people_queries.person_detail(session, settings.policy, cli_clock(), found)
            except MisenaError as exc:
                refused(exc)
    if as_json:
        dump_json(detail)
        return
    show(out_console(), detail)


def _act(
    document: str | None,
    person_id: int | None,
    action: str,
    change: Callable[[StaffActions, int], None],
    done: str,
    as_json: bool,
) -> None:
    with open_database() as sessions:
        found, key = _person(sessions, document, person_id)
        try:
            change(StaffActions(sessions, cli_clock), found)
        except MisenaError as exc:
            refused(exc)
    if as_json:
        dump_json(Accepted(action=action, person_id=found))
        return
    out_console().print(f"[green]✔[/green] {done}: {escape(key)} (id {found})")


APPLIED = "el worker lo aplica en la próxima reconciliación"


@accounts_cli.command("resend-credentials")
def accounts_resend_credentials(
    document: Document = None,
    person_id: PersonIdOption = None,
    reason: Reason = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Genera una contraseña nueva y la envía al correo personal registrado en Sofia Plus."""
    why, who = required_reason(reason), actor_label(actor)
    _act(
        document, person_id, "person.resend_credentials",
        lambda staff, pid: staff.resend_credentials(pid, who, why),
        "credenciales nuevas en camino al correo personal", as_json,
    )  # fmt: skip


@accounts_cli.command("suspend")
def accounts_suspend(
    reason: RequiredReason,
    document: Document = None,
    person_id: PersonIdOption = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Suspende la cuenta (uso indebido), diga lo que diga Sofia Plus, hasta `unsuspend`."""
    why, who = required_reason(reason), actor_label(actor)
    _act(
        document, person_id, "person.suspend", lambda staff, pid: staff.suspend(pid, who, why),
        f"suspensión registrada ({APPLIED})", as_json,
    )  # fmt: skip


@accounts_cli.command("unsuspend")
def accounts_unsuspend(
    document: Document = None,
    person_id: PersonIdOption = None,
    reason: Reason = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Levanta una suspensión hecha por TI o fuera de misena (en la consola de Google).
    Sofia Plus sigue decidiendo: un aprendiz retirado sigue suspendido."""
    why, who = checked_reason(reason), actor_label(actor)
    _act(
        document, person_id, "person.unsuspend", lambda staff, pid: staff.unsuspend(pid, who, why),
        f"suspensión levantada ({APPLIED})", as_json,
    )  # fmt: skip


@accounts_cli.command("reconcile")
def accounts_reconcile(
    document: Document = None,
    person_id: PersonIdOption = None,
    reason: Reason = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Concilia ya la cuenta con Sofia Plus (corrige lo que se haya cambiado a mano)."""
    why, who = checked_reason(reason), actor_label(actor)
    _act(
        document, person_id, "person.reconcile", lambda staff, pid: staff.reconcile(pid, who, why),
        "reconciliación encolada", as_json,
    )  # fmt: skip


@accounts_cli.command("exclude")
def accounts_exclude(
    reason: RequiredReason,
    document: Document = None,
    person_id: PersonIdOption = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Saca a la persona de la gestión de misena: su cuenta no se toca hasta `include`."""
    why, who = required_reason(reason), actor_label(actor)
    _act(
        document, person_id, "person.exclude", lambda staff, pid: staff.exclude(pid, who, why),
        "excluida de la gestión de misena", as_json,
    )  # fmt: skip


@accounts_cli.command("include")
def accounts_include(
    document: Document = None,
    person_id: PersonIdOption = None,
    reason: Reason = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Devuelve a la persona a la gestión de misena (y concilia su cuenta)."""
    why, who = checked_reason(reason), actor_label(actor)
    _act(
        document, person_id, "person.include", lambda staff, pid: staff.include(pid, who, why),
        f"de nuevo bajo la gestión de misena ({APPLIED})", as_json,
    )  # fmt: skip
