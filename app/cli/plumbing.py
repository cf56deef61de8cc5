"""What every IT staff command needs before it acts: logs kept off stdout, the database, who
acts and why, refusals and bad usage told in Spanish, and the options the groups share.

Apart from the command groups (``misena tokens``, ``accounts``, ``jobs``, and ``sync`` and
``brake`` for the logs) so each group states only its own commands, and the rules they share —
``cli:<actor>`` in the audit trail, reasons checked by the API's own request schemas, a refused
action told in one red Spanish line on stderr — are written once.

Exit codes, by the class of :mod:`app.errors` a command was refused with (:data:`EXIT_CODES`),
so a script can tell "try again later" from "fix the input":

* 0 — done.
* 1 — any other error.
* 2 — bad usage or input (Typer's own, and :class:`~app.errors.InvalidInputError`: a bad scope,
  an unreadable roster, a page token this service did not issue, a document more than one
  person has).
* 3 — not found (:class:`~app.errors.NotFoundError`: no such person, job, token or sync run).
* 4 — refused: the action conflicts with the current state and nothing was changed
  (:class:`~app.errors.ConflictError`), or is not allowed (too large, forbidden).
* 5 — Google or Sofia Plus failed (:class:`~app.errors.UpstreamError`).
* 6 — a dependency is unavailable right now; retry later (:class:`~app.errors.UnavailableError`).
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
from app.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    MisenaError,
    NotFoundError,
    TooLargeError,
    UnauthenticatedError,
    UnavailableError,
    UnsupportedMediaError,
    UpstreamError,
)
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


def load_settings() -> Settings:
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            err_console().print(f"[red]configuración inválida[/red]: {error['msg']}")
        raise typer.Exit(2) from None


@contextmanager
def open_database(settings: Settings | None = None) -> Iterator[sessionmaker[Session]]:
    engine = make_engine((settings or load_settings()).database_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


#: Exit code and Spanish prefix per domain error; the most specific class in the MRO wins.
EXIT_CODES: dict[type[MisenaError], tuple[int, str]] = {
    InvalidInputError: (2, "Entrada inválida"),
    UnsupportedMediaError: (2, "Formato no admitido"),
    NotFoundError: (3, "No encontrado"),
    ConflictError: (4, "No se puede (conflicto con el estado actual; no se cambió nada)"),
    TooLargeError: (4, "Demasiado grande"),
    ForbiddenError: (4, "No permitido"),
    UnauthenticatedError: (4, "No autenticado"),
    UpstreamError: (5, "Falló un sistema externo"),
    UnavailableError: (6, "No disponible por ahora; reintente más tarde"),
}


def exit_code(exc: MisenaError) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1, "Error"


def refused(exc: MisenaError) -> NoReturn:
    """One Spanish line on stderr, then the exit code of the error's class."""
    code, prefix = exit_code(exc)
    if exc.text is not None:
        message = exc.text.es
    else:
        message = "; ".join(f"{field.field}: {field.message.es}" for field in exc.fields) or exc.title.es
    err_console().print(f"[red]{prefix}: {escape(message)}[/red]", soft_wrap=True)
    raise typer.Exit(code)


def usage_error(message: str, param: str | None = None) -> NoReturn:
    raise typer.BadParameter(message, param_hint=param)


def actor_label(actor: str | None) -> str:
    """How the audit trail names whoever runs the command: ``cli:<actor>``."""
    if actor is None:
        try:
            actor = getpass.getuser()
        except (KeyError, OSError):
            usage_error("no se pudo saber el usuario del sistema; indique quién actúa", "--actor")
    actor = actor.strip()
    if not actor or len(actor) > MAX_ACTOR:
        usage_error(f"entre 1 y {MAX_ACTOR} caracteres", "--actor")
    return f"cli:{actor}"


def checked_reason(reason: str | None) -> str | None:
    """The optional reason, checked by the same rules the API applies to its request bodies."""
    try:
        return ActionRequest(reason=(reason or "").strip() or None).reason
    except ValidationError:
        usage_error("el motivo debe tener hasta 500 caracteres", "--reason")


def required_reason(reason: str | None) -> str:
    """The reason a suspension or exclusion must give, by the API's rules."""
    try:
        return SuspendRequest(reason=(reason or "").strip()).reason
    except ValidationError:
        usage_error("el motivo debe tener entre 3 y 500 caracteres", "--reason")


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
