"""``misena tokens``, ``misena accounts``, ``misena jobs``: the IT staff API's operations at a
terminal (help in Spanish, for SENA's IT staff).

The same code answers here and over HTTP: people are found and pictured by
:mod:`app.people_queries`, every change to a person or a job goes through
:class:`app.staff.StaffActions` (so it lands in the audit trail as ``cli:<actor>``, in the
same transaction), and ``--json`` prints the very schemas the API answers with. Tokens are
issued and revoked by :mod:`app.auth`, which audits them in the same transaction. A refused
action (404, 409) prints why in red and exits 1; bad usage exits 2.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, NoReturn

import typer
from pydantic import BaseModel, TypeAdapter, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app import people_queries
from app.api_v1.schemas import (
    Accepted,
    ActionRequest,
    AuditOut,
    Counted,
    DeliveryOut,
    HoldOut,
    JobOut,
    PageOf,
    PersonDetail,
    PersonSummary,
    SuspendRequest,
)
from app.auth import Scope, TokenInfo, issue_token, list_tokens, revoke_token
from app.db.engine import make_engine, session_factory
from app.db.models import Job, Person
from app.logging_setup import configure_logging
from app.paging import fetch_page
from app.problems import ProblemError
from app.queue import utcnow
from app.settings import Settings
from app.staff import StaffActions, conflict, not_found

tokens_cli = typer.Typer(
    help="Tokens de la API de la mesa de ayuda: crear (se muestran una sola vez), listar, revocar.",
    no_args_is_help=True,
)
accounts_cli = typer.Typer(
    help="Cuentas Mi SENA de las personas: buscar, ver el cuadro completo y corregir.",
    no_args_is_help=True,
)
jobs_cli = typer.Typer(
    help="La cola de trabajos del worker: listar, ver el último error, reintentar, cancelar.",
    no_args_is_help=True,
)

MAX_ID = 2**31 - 1
#: Of each enrollment in the record, what a table at a terminal shows (``--json`` has all).
ENROLLMENT_COLUMNS = ("ficha", "program_name", "centro_name", "regional_name", "modality", "status",
                      "start_date", "end_date")  # fmt: skip
MAX_ACTOR = 196  # the audit trail's actor column holds 200 characters, "cli:" included
_COLOURS = {
    "active": "green",
    "EN_FORMACION": "green",
    "done": "green",
    "sent": "green",
    "released": "green",
    "pending": "yellow",
    "waiting": "yellow",
    "running": "yellow",
    "credentials_pending": "yellow",
    "held": "yellow",
    "suspended": "red",
    "suspended_outside": "red",
    "conflict": "red",
    "excluded": "dim",
    "dead": "red",
    "failed": "red",
    "cancelled": "dim",
    "superseded": "dim",
    "discarded": "dim",
}


# -- plumbing ------------------------------------------------------------------------------


class _Stderr:
    """``sys.stderr`` as it is at each write (a test runner swaps it while a command runs)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def logs_to_stderr() -> None:
    """Keep stdout for tables and ``--json``: the service's logs (structlog prints to stdout
    unless configured) go to stderr, and only from warnings up — at a terminal, what happened
    is told in Spanish and recorded in the audit trail."""
    configure_logging("WARNING", stream=_Stderr())


for _sub_app in (tokens_cli, accounts_cli, jobs_cli):
    _sub_app.callback()(logs_to_stderr)


def _load_settings() -> Settings:
    from app.cli import load_settings

    return load_settings()


@contextmanager
def _database(settings: Settings | None = None) -> Iterator[sessionmaker[Session]]:
    engine = make_engine((settings or _load_settings()).database_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def out_console() -> Console:
    return Console(highlight=False)


def err_console() -> Console:
    return Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _dump(model: BaseModel) -> None:
    print_json(model.model_dump(mode="json"))


def refused(exc: ProblemError) -> NoReturn:
    problem = exc.problem
    prefix = {
        400: "Solicitud inválida",
        404: "No encontrado",
        409: "No se puede (conflicto con el estado actual; no se cambió nada)",
    }.get(problem.status, "Error")
    err_console().print(f"[red]{prefix}: {escape(problem.detail or problem.title)}[/red]")
    raise typer.Exit(2 if problem.status in (400, 422) else 1)


def _usage(message: str, param: str | None = None) -> NoReturn:
    raise typer.BadParameter(message, param_hint=param)


def actor_label(actor: str | None) -> str:
    """How the audit trail names whoever runs the command: ``cli:<actor>``."""
    if actor is None:
        try:
            actor = getpass.getuser()
        except (KeyError, OSError):
            _usage("no se pudo saber el usuario del sistema; indique quién actúa", "--actor")
    actor = actor.strip()
    if not actor or len(actor) > MAX_ACTOR:
        _usage(f"entre 1 y {MAX_ACTOR} caracteres", "--actor")
    return f"cli:{actor}"


def _reason(reason: str | None, required: bool = False) -> str | None:
    """The reason, checked by the same rules the API applies to its request bodies."""
    try:
        if required:
            return SuspendRequest(reason=(reason or "").strip()).reason
        return ActionRequest(reason=(reason or "").strip() or None).reason
    except ValidationError:
        limits = "entre 3 y 500 caracteres" if required else "hasta 500 caracteres"
        _usage(f"el motivo debe tener {limits}", "--reason")


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _text(value: Any) -> str:
    """A value as a table cell: escaped (data is never Rich markup), ``—`` for nothing."""
    if value is None or value in ("", [], {}):
        return "—"
    if isinstance(value, bool):
        return "sí" if value else "no"
    if isinstance(value, datetime):
        return _when(value)
    if isinstance(value, dict | list):
        return escape(json.dumps(value, ensure_ascii=False))
    return escape(str(value))


def _state(value: str | None) -> str:
    if not value:
        return "—"
    colour = _COLOURS.get(value)
    return f"[{colour}]{escape(value)}[/{colour}]" if colour else escape(value)


def make_table(title: str, columns: tuple[str, ...]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for column in columns:
        table.add_column(column)
    return table


def emit(console: Console, table: Table) -> None:
    """A table, or for an empty one just its title (which counts its rows: 0)."""
    console.print(table if table.row_count else f"[bold]{table.title}[/bold]")


def _grid(title: str, rows: list[tuple[str, str]]) -> Table:
    grid = Table(title=title, title_justify="left", title_style="bold", show_header=False, box=None)
    grid.add_column(style="cyan", no_wrap=True)
    grid.add_column()
    for label, value in rows:
        grid.add_row(label, value)
    return grid


def _more(next_page_token: str | None) -> None:
    if next_page_token:
        err_console().print(f"hay más resultados: repita con [bold]--page-token {next_page_token}[/bold]")


Json = Annotated[bool, typer.Option("--json", help="Salida JSON (los esquemas de la API) en vez de tablas.")]
Actor = Annotated[
    str | None,
    typer.Option(
        help="Quién actúa; queda en la auditoría como cli:<actor>. Por defecto, el usuario del sistema.",
        show_default=False,
    ),
]
Reason = Annotated[str | None, typer.Option(help="Por qué (queda en la auditoría).")]
RequiredReason = Annotated[
    str, typer.Option(help="Por qué, según el reglamento del SENA (obligatorio; queda en la auditoría).")
]
Limit = Annotated[int, typer.Option(min=1, max=200, help="Resultados por página.")]
PageToken = Annotated[
    str | None, typer.Option(help="Siguiente página: el valor que indicó la consulta anterior.")
]


# -- tokens --------------------------------------------------------------------------------


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
        _usage("entre 1 y 100 caracteres", "--name")
    who = actor_label(actor)
    with _database() as sessions:
        issued = issue_token(sessions, name, scope, created_by=who)
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
    with _database() as sessions:
        tokens = list_tokens(sessions)
    if as_json:
        print_json(TypeAdapter(list[TokenInfo]).dump_python(tokens, mode="json"))
        return
    table = make_table(
        f"Tokens: {len(tokens)}", ("id", "nombre", "alcances", "creado", "creado por", "último uso", "estado")
    )
    for t in tokens:
        status = f"[dim]revocado {_when(t.revoked_at)}[/dim]" if t.revoked_at else "[green]activo[/green]"
        table.add_row(
            str(t.id), _text(t.name), ", ".join(t.scopes), _when(t.created_at), _text(t.created_by),
            _when(t.last_used_at), status,
        )  # fmt: skip
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
    with _database() as sessions:
        if not revoke_token(sessions, token_id, who):
            known = any(t.id == token_id for t in list_tokens(sessions))
            refused(conflict("The token is already revoked.") if known else not_found("token"))
    if as_json:
        print_json({"action": "token.revoke", "token_id": token_id, "status": "revoked"})
        return
    out_console().print(f"[green]✔[/green] token {token_id} revocado")


# -- accounts ------------------------------------------------------------------------------

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
    """The one person meant: ``(id, person_key)``; exits 1 if nobody or several match."""
    if (document is None) == (person_id is None):
        _usage("indique el documento o --id (uno de los dos)")
    with sessions() as session:
        if person_id is not None:
            person = session.get(Person, person_id)
            if person is None:
                refused(not_found("person"))
            return person.id, person.person_key
        assert document is not None  # noqa: S101 - checked above
        try:
            people = people_queries.find_by_document(session, document)
        except ValueError:
            _usage("use 1098765432 o tipo:número, p. ej. TI:1098765432 (tipos CC, TI, CE, PEP, PPT, PA)")
        if not people:
            err_console().print("[red]No encontrado: ninguna persona tiene ese documento.[/red]")
            raise typer.Exit(1)
        if len(people) > 1:
            _print_people(err_console(), f"Varias personas tienen ese número: {len(people)}", people)
            err_console().print(
                "[red]Indique cuál: con el tipo de documento (p. ej. [bold]TI:1098765432[/bold]) "
                "o con [bold]--id[/bold].[/red]"
            )
            raise typer.Exit(1)
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
            _text(summary.account_email),
            _state(summary.account_status) + "".join(f" [magenta]{f}[/magenta]" for f in flags),
            _text(summary.status_reason),
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
    state: Annotated[
        str | None,
        typer.Option(help="Estado de la cuenta: active, pending, credentials_pending, suspended, ..."),
    ] = None,
    limit: Limit = 50,
    page_token: PageToken = None,
    as_json: Json = False,
) -> None:
    """Busca personas (las más recientes primero); los filtros se combinan."""
    filters = people_queries.PeopleFilter(document=document, email=email, name=name, ficha=ficha, state=state)
    with _database() as sessions, sessions() as session:
        try:
            page = people_queries.search_people(session, filters, page_token, limit)
        except ProblemError as exc:
            refused(exc)
        if as_json:
            found = PageOf[PersonSummary](
                items=[PersonSummary.of(p) for p in page.items], next_page_token=page.next_page_token
            )
            _dump(found)
            return
        _print_people(out_console(), f"Personas: {len(page.items)}", page.items)
    _more(page.next_page_token)


@accounts_cli.command("show")
def accounts_show(document: Document = None, person_id: PersonIdOption = None, as_json: Json = False) -> None:
    """Todo sobre una persona: registro de Sofia Plus, cuenta deseada, estado en Workspace,
    trabajos, envíos de credenciales (nunca la contraseña), retenciones y auditoría."""
    settings = _load_settings()
    with _database(settings) as sessions:
        found, _ = _person(sessions, document, person_id)
        with sessions() as session:
            try:
                detail = people_queries.person_detail(session, settings.policy, utcnow(), found)
            except ProblemError as exc:
                refused(exc)
    if as_json:
        _dump(detail)
        return
    _show(out_console(), detail)


def _show(console: Console, detail: PersonDetail) -> None:
    flags = [
        f
        for f, on in (("excluida de misena", detail.excluded), ("suspendida por TI", detail.staff_suspended))
        if on
    ]
    console.print(
        f"[bold]{escape(detail.first_names)} {escape(detail.last_names)}[/bold]  "
        f"{escape(detail.person_key)}  (id {detail.id})" + "".join(f"  [magenta]{f}[/magenta]" for f in flags)
    )
    console.print(
        _grid(
            "Cuenta",
            [
                ("correo", _text(detail.account_email)),
                ("estado", _state(detail.account_status)),
                ("motivo", _text(detail.status_reason)),
                ("actualizado", _when(detail.updated_at)),
            ],
        )
    )
    record = {k: v for k, v in detail.record.items() if k not in ("enrollments", "field_times")}
    console.print(_grid("Registro en Sofia Plus", [(k, _text(v)) for k, v in record.items()]))
    enrollments = detail.record.get("enrollments") or []
    if enrollments:
        table = make_table("Matrículas", ENROLLMENT_COLUMNS)
        for enrollment in enrollments:
            table.add_row(*(_state(enrollment.get(c)) if c == "status" else _text(enrollment.get(c))
                            for c in ENROLLMENT_COLUMNS))  # fmt: skip
        emit(console, table)
    if detail.desired is None:
        console.print("[bold]Cuenta deseada[/bold]: ninguna (la política no le da cuenta hoy)")
    else:
        console.print(_grid("Cuenta deseada (política)", [(k, _text(v)) for k, v in detail.desired.items()]))
    workspace = detail.workspace.model_dump(exclude={"live"})
    console.print(
        _grid("Google Workspace (lo último que misena supo)", [(k, _text(v)) for k, v in workspace.items()])
    )
    _jobs_table(console, "Trabajos", detail.jobs)
    _deliveries_table(console, detail.deliveries)
    _holds_table(console, detail.holds)
    _audit_table(console, detail.audit)


def _jobs_table(console: Console, title: str, jobs: list[JobOut]) -> None:
    table = make_table(
        f"{title}: {len(jobs)}",
        ("id", "tipo", "persona", "estado", "intentos", "ejecutar desde", "último error"),
    )
    for job in jobs:
        table.add_row(
            str(job.id), escape(job.kind), str(job.person_id), _state(job.state),
            f"{job.attempts}/{job.max_attempts}", _when(job.run_after), _text(job.last_error),
        )  # fmt: skip
    emit(console, table)


def _deliveries_table(console: Console, deliveries: list[DeliveryOut]) -> None:
    table = make_table(
        f"Envíos de credenciales: {len(deliveries)}",
        (
            "id",
            "estado",
            "cuenta",
            "destinatario",
            "remitente",
            "intentos",
            "solicitado",
            "entregado",
            "próximo intento",
            "motivo",
            "último error",
        ),
    )
    for d in deliveries:
        table.add_row(
            str(d.id), _state(d.status), _text(d.account_email), _text(d.recipient_email), _text(d.sender),
            str(d.attempts), _when(d.requested_at), _when(d.delivered_at), _when(d.next_attempt_at),
            _text(d.reason), _text(d.last_error),
        )  # fmt: skip
    emit(console, table)


def _holds_table(console: Console, holds: list[HoldOut]) -> None:
    table = make_table(
        f"Suspensiones retenidas: {len(holds)}", ("id", "motivo", "estado", "retenida", "decidida", "por")
    )
    for h in holds:
        table.add_row(
            str(h.id),
            _text(h.reason),
            _state(h.state),
            _when(h.held_at),
            _when(h.decided_at),
            _text(h.decided_by),
        )
    emit(console, table)


def _audit_table(console: Console, entries: list[AuditOut]) -> None:
    table = make_table(
        f"Auditoría: {len(entries)}", ("id", "cuándo", "quién", "acción", "objeto", "motivo", "detalles")
    )
    for a in entries:
        table.add_row(
            str(a.id), _when(a.at), _text(a.actor), _text(a.action), _text(a.target), _text(a.reason),
            _text(a.details),
        )  # fmt: skip
    emit(console, table)


def _act(
    document: str | None,
    person_id: int | None,
    action: str,
    change: Callable[[StaffActions, int], None],
    done: str,
    as_json: bool,
) -> None:
    with _database() as sessions:
        found, key = _person(sessions, document, person_id)
        try:
            change(StaffActions(sessions, utcnow), found)
        except ProblemError as exc:
            refused(exc)
    if as_json:
        _dump(Accepted(action=action, person_id=found))
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
    why, who = _reason(reason), actor_label(actor)
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
    why, who = _reason(reason, required=True), actor_label(actor)
    assert why is not None  # noqa: S101 - required
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
    why, who = _reason(reason), actor_label(actor)
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
    why, who = _reason(reason), actor_label(actor)
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
    why, who = _reason(reason, required=True), actor_label(actor)
    assert why is not None  # noqa: S101 - required
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
    why, who = _reason(reason), actor_label(actor)
    _act(
        document, person_id, "person.include", lambda staff, pid: staff.include(pid, who, why),
        f"de nuevo bajo la gestión de misena ({APPLIED})", as_json,
    )  # fmt: skip


# -- jobs ----------------------------------------------------------------------------------


class JobState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"
    CANCELLED = "cancelled"


JobIdArgument = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="Id del trabajo.")]


@jobs_cli.command("list")
def jobs_list(
    state: Annotated[JobState | None, typer.Option(help="Solo los de este estado.")] = None,
    kind: Annotated[
        str | None, typer.Option(help="Solo los de este tipo (reconcile, deliver_credentials).")
    ] = None,
    person_id: Annotated[
        int | None, typer.Option(min=1, max=MAX_ID, help="Solo los de esta persona (id).")
    ] = None,
    limit: Limit = 50,
    page_token: PageToken = None,
    as_json: Json = False,
) -> None:
    """Lista los trabajos, los más recientes primero."""
    statement = select(Job)
    if state:
        statement = statement.where(Job.state == state.value)
    if kind:
        statement = statement.where(Job.kind == kind)
    if person_id is not None:
        statement = statement.where(Job.person_id == person_id)
    with _database() as sessions, sessions() as session:
        try:
            page = fetch_page(session, statement, Job.id, page_token, limit)
        except ProblemError as exc:
            refused(exc)
        jobs = [JobOut.of(j) for j in page.items]
    if as_json:
        _dump(PageOf(items=jobs, next_page_token=page.next_page_token))
        return
    _jobs_table(out_console(), "Trabajos", jobs)
    _more(page.next_page_token)


def _job(sessions: sessionmaker[Session], job_id: int) -> JobOut:
    with sessions() as session:
        job = session.get(Job, job_id)
        if job is None:
            refused(not_found("job"))
        return JobOut.of(job)


def _print_job(console: Console, job: JobOut) -> None:
    rows = [(k, _state(v) if k == "state" else _text(v)) for k, v in job.model_dump().items()]
    console.print(_grid(f"Trabajo {job.id}", rows))


@jobs_cli.command("show")
def jobs_show(job_id: JobIdArgument, as_json: Json = False) -> None:
    """Un trabajo y su último error."""
    with _database() as sessions:
        job = _job(sessions, job_id)
    if as_json:
        _dump(job)
        return
    _print_job(out_console(), job)


@jobs_cli.command("retry")
def jobs_retry(
    job_id: Annotated[
        int | None, typer.Argument(min=1, max=MAX_ID, help="Id del trabajo muerto o cancelado.")
    ] = None,
    dead: Annotated[bool, typer.Option("--dead", help="Todos los trabajos muertos.")] = False,
    reason: Reason = None,
    actor: Actor = None,
    as_json: Json = False,
) -> None:
    """Reintenta un trabajo muerto o cancelado, o con --dead todos los muertos."""
    if (job_id is None) == (not dead):
        _usage("indique el id del trabajo o --dead (uno de los dos)")
    why, who = _reason(reason), actor_label(actor)
    with _database() as sessions:
        staff = StaffActions(sessions, utcnow)
        try:
            if job_id is None:
                counted = Counted(action="job.retry_dead", count=staff.retry_dead(who, why))
            else:
                staff.retry_job(job_id, who, why)
        except ProblemError as exc:
            refused(exc)
        if job_id is not None:
            job = _job(sessions, job_id)
    if job_id is None:
        if as_json:
            _dump(counted)
        else:
            out_console().print(f"[green]✔[/green] {counted.count} trabajos muertos de nuevo pendientes")
        return
    if as_json:
        _dump(job)
    elif job.state == "pending":
        out_console().print(f"[green]✔[/green] trabajo {job.id} de nuevo pendiente")
    else:
        out_console().print(
            f"[yellow]trabajo {job.id} cerrado ({job.state}): la persona ya tenía un {escape(job.kind)} "
            "pendiente, adelantado a ahora, que hará el trabajo[/yellow]"
        )


@jobs_cli.command("cancel")
def jobs_cancel(
    job_id: JobIdArgument, reason: Reason = None, actor: Actor = None, as_json: Json = False
) -> None:
    """Cancela un trabajo pendiente."""
    why, who = _reason(reason), actor_label(actor)
    with _database() as sessions:
        try:
            StaffActions(sessions, utcnow).cancel_job(job_id, who, why)
        except ProblemError as exc:
            refused(exc)
        job = _job(sessions, job_id)
    if as_json:
        _dump(job)
        return
    out_console().print(f"[green]✔[/green] trabajo {job.id} cancelado")
