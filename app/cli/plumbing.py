"""What every command shares: the exit codes, the one way a failure is told, and the options
the staff groups have in common.

Every failure — the service unreachable, a token refused, a problem+json from the API, bad
input, a file that is not there, Ctrl-C — is raised as a :class:`CliError`: one Spanish line
on stderr and the exit code of its kind, never a traceback. The root group
(:class:`app.cli.main.SafeGroup`) tells it, and Click's own usage errors alike, so the commands
need no ``try`` of their own.

Exit codes, so a script can tell "fix the input" from "try again later" (README, *IT staff*):

* 0 — done.
* 1 — any other error (the service failed unexpectedly: a 500).
* 2 — bad usage or input: Click's own usage errors, a 400/415/422 from the API (a bad scope,
  an unreadable roster, a page token this service did not issue), a document more than one
  person has, a file that cannot be read.
* 3 — not found (404: no such person, job, hold or sync run).
* 4 — refused: the action conflicts with the current state and nothing was changed (409: already
  suspended, a plan refused until confirmed), or is not allowed (403: the token lacks the
  scope; 413: too large).
* 5 — Google or Sofia Plus failed (502).
* 6 — unavailable right now; retry later (503).
* 7 — cannot reach the service, or not logged in (no profile): see ``misena login``.
* 8 — the service refused the token (401: unknown, revoked or mistyped).
* 130 — interrupted (Ctrl-C).

Server-side commands (``tokens``, ``migrate``) still meet the domain errors of :mod:`app.errors`
directly; :data:`EXIT_CODES` maps each class to the same codes the API's statuses map to.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated

import typer
from rich.markup import escape

from app.cli.rendering import err_console
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
from app.i18n import cli_gettext as _

MAX_ID = 2**31 - 1
#: The API's limit on a reason (``audit_events.reason``), checked here before a round trip.
MAX_REASON = 500


class ExitCode(IntEnum):
    DONE = 0
    ERROR = 1
    USAGE = 2
    NOT_FOUND = 3
    REFUSED = 4
    UPSTREAM = 5
    UNAVAILABLE = 6
    NOT_CONNECTED = 7
    UNAUTHENTICATED = 8
    INTERRUPTED = 130


#: The exit code of each HTTP status the API answers with (other 4xx: 2, other 5xx: 1).
EXIT_BY_STATUS: dict[int, ExitCode] = {
    400: ExitCode.USAGE,
    401: ExitCode.UNAUTHENTICATED,
    403: ExitCode.REFUSED,
    404: ExitCode.NOT_FOUND,
    409: ExitCode.REFUSED,
    413: ExitCode.REFUSED,
    415: ExitCode.USAGE,
    422: ExitCode.USAGE,
    431: ExitCode.USAGE,
    502: ExitCode.UPSTREAM,
    503: ExitCode.UNAVAILABLE,
    504: ExitCode.UPSTREAM,
}


def exit_for_status(status: int) -> ExitCode:
    if status in EXIT_BY_STATUS:
        return EXIT_BY_STATUS[status]
    return ExitCode.USAGE if 400 <= status < 500 else ExitCode.ERROR


def prefix(code: ExitCode) -> str:
    """The few Spanish words a refusal of each kind starts with."""
    words = {
        ExitCode.USAGE: _("Invalid input"),
        ExitCode.NOT_FOUND: _("Not found"),
        ExitCode.REFUSED: _("Refused (nothing was changed)"),
        ExitCode.UPSTREAM: _("An external system failed"),
        ExitCode.UNAVAILABLE: _("Unavailable for now; retry later"),
        ExitCode.NOT_CONNECTED: _("No connection to misena"),
        ExitCode.UNAUTHENTICATED: _("Token refused"),
        ExitCode.INTERRUPTED: _("Interrupted"),
    }
    return words.get(code, _("Error"))


class CliError(Exception):
    """A command that cannot go on: ``message`` (Spanish, one line) and its exit code."""

    def __init__(self, code: ExitCode, message: str, *, prefixed: bool = True) -> None:
        self.message = f"{prefix(code)}: {message}" if prefixed else message
        super().__init__(self.message)
        self.exit_code = int(code)

    def show(self) -> None:
        err_console().print(f"[red]{escape(self.message)}[/red]", soft_wrap=True)


#: Server-side commands meet domain errors directly: each class's code is its status's code.
EXIT_CODES: dict[type[MisenaError], int] = {
    InvalidInputError: ExitCode.USAGE,
    UnsupportedMediaError: ExitCode.USAGE,
    NotFoundError: ExitCode.NOT_FOUND,
    ConflictError: ExitCode.REFUSED,
    TooLargeError: ExitCode.REFUSED,
    ForbiddenError: ExitCode.REFUSED,
    UnauthenticatedError: ExitCode.UNAUTHENTICATED,
    UpstreamError: ExitCode.UPSTREAM,
    UnavailableError: ExitCode.UNAVAILABLE,
}


def exit_code(exc: MisenaError) -> tuple[int, str]:
    """The exit code and Spanish prefix of a domain error; the most specific class wins."""
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            code = ExitCode(EXIT_CODES[cls])
            return int(code), prefix(code)
    return int(ExitCode.ERROR), prefix(ExitCode.ERROR)


def refused(exc: MisenaError) -> CliError:
    """A domain error met by a server-side command, as the failure to raise."""
    code, _words = exit_code(exc)
    if exc.text is not None:
        message = exc.text.es
    else:
        message = "; ".join(f"{field.field}: {field.message.es}" for field in exc.fields) or exc.title.es
    return CliError(ExitCode(code), message)


def usage_error(message: str, param: str | None = None) -> CliError:
    """Bad usage, told as Click tells its own (exit 2, the option named)."""
    return CliError(ExitCode.USAGE, f"{param}: {message}" if param else message)


def checked_reason(reason: str | None) -> str | None:
    """The optional reason, trimmed; over the API's limit is bad usage before any request."""
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON:
        raise usage_error(_("the reason may have at most {n} characters").format(n=MAX_REASON), "--reason")
    return reason


def required_reason(reason: str | None) -> str:
    """The reason a suspension or exclusion must give: 3 to 500 characters, as the API asks."""
    reason = (reason or "").strip()
    if not 3 <= len(reason) <= MAX_REASON:
        raise usage_error(
            _("the reason must have between 3 and {n} characters").format(n=MAX_REASON), "--reason"
        )
    return reason


Json = Annotated[
    bool, typer.Option("--json", help=_("Print the API's JSON instead of tables."), show_default=False)
]
ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile",
        help=_("The profile to use (see `misena profiles`); by default MISENA_PROFILE or the default one."),
        show_default=False,
    ),
]
Reason = Annotated[str | None, typer.Option(help=_("Why (kept in the audit trail)."), show_default=False)]
RequiredReason = Annotated[
    str,
    typer.Option(help=_("Why, per SENA's rules (required; kept in the audit trail)."), show_default=False),
]
Limit = Annotated[int, typer.Option(min=1, max=200, help=_("Results per page."))]
PageToken = Annotated[
    str | None,
    typer.Option(help=_("Next page: the value the previous listing gave."), show_default=False),
]
