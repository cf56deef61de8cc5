"""What every IT staff command needs before it acts: logs kept off stdout, the database, who
acts and why, refusals and bad usage told in Spanish, and the options the groups share.

Apart from the command groups (``misena tokens``, ``accounts``, ``jobs``, and ``sync`` and
``brake`` for the logs) so each group states only its own commands, and the rules they share —
``cli:<actor>`` in the audit trail, reasons checked by the API's own request schemas, a refused
action (404, 409) in red with exit 1, bad usage with exit 2 — are written once.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.markup import escape
from sqlalchemy.orm import Session, sessionmaker

from app.cli.rendering import err_console
from app.clock import Clock, system_clock
from app.db.engine import make_engine, session_factory
from app.http.problems import ProblemError
from app.http.v1.schemas import ActionRequest, SuspendRequest
from app.logging_setup import configure_logging
from app.settings import Settings


class CommandClock:
    """The staff commands' one clock: the machine's. Every command reads it (through
    :data:`cli_clock`) instead of the system time, so a test driving the commands against a
    running service points it at that service's clock and both read the same time."""

    def __init__(self) -> None:
        self.source: Clock = system_clock

    def __call__(self) -> datetime:
        return self.source()


cli_clock = CommandClock()

MAX_ID = 2**31 - 1
MAX_ACTOR = 196  # the audit trail's actor column holds 200 characters, "cli:" included


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


def _load_settings() -> Settings:
    from app.cli.main import load_settings

    return load_settings()


@contextmanager
def _database(settings: Settings | None = None) -> Iterator[sessionmaker[Session]]:
    engine = make_engine((settings or _load_settings()).database_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


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


def _reason(reason: str | None) -> str | None:
    """The optional reason, checked by the same rules the API applies to its request bodies."""
    try:
        return ActionRequest(reason=(reason or "").strip() or None).reason
    except ValidationError:
        _usage("el motivo debe tener hasta 500 caracteres", "--reason")


def _required_reason(reason: str | None) -> str:
    """The reason a suspension or exclusion must give, by the API's rules."""
    try:
        return SuspendRequest(reason=(reason or "").strip()).reason
    except ValidationError:
        _usage("el motivo debe tener entre 3 y 500 caracteres", "--reason")


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
