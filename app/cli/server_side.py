"""What the server-side commands (``serve``, ``worker``, ``migrate``, ``tokens``, ``demo``)
need: their settings, told in one Spanish line when one is missing or wrong, the database, and
who acts.

Only these commands read ``MISENA_*`` service settings and touch the database; the staff
commands go through the API (:mod:`app.cli.api`). ``migrate`` and ``tokens`` need nothing but
the database, so they read only ``MISENA_DATABASE_URL`` (:class:`DatabaseSettings`): ``misena
tokens create`` works beside a running demo, from a second terminal, with no other variable.
"""

from __future__ import annotations

import getpass
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.cli.plumbing import CliError, ExitCode, usage_error
from app.clock import Clock, system_clock
from app.db.engine import make_engine, session_factory
from app.i18n import cli_gettext as _
from app.logging_setup import configure_logging
from app.settings import Settings

MAX_ACTOR = 196  # the audit trail's actor column holds 200 characters, "cli:" included
_VARIABLE = re.compile(r"MISENA_[A-Z0-9_]+")
_ONE_OF = re.compile(r"(MISENA_[A-Z0-9_]+) must be one of (.+)$")


class DatabaseSettings(BaseSettings):
    """The one setting ``migrate`` and ``tokens`` read, with the service's own default."""

    model_config = SettingsConfigDict(env_prefix="MISENA_", extra="ignore", frozen=True)

    database_url: str = Settings.model_fields["database_url"].default


#: The rules across settings in app/settings.py, by words of their English message.
_RULES = (
    (("MISENA_WEBHOOK_SECRETS", "too-short"),
     _("MISENA_WEBHOOK_SECRETS holds a known or too short secret (at least 24 characters)")),
    (("MISENA_WEBHOOK_SECRETS",),
     _("MISENA_WEBHOOK_SECRETS is needed outside demo mode (whsec_... secrets, comma-separated)")),
    (("MISENA_MAIL_SENDERS",), _("MISENA_MAIL_SENDERS needs at least one sender mailbox")),
    (("https",), _("MISENA_SOFIA_ROSTER_URL must be https outside demo mode")),
    (("go together",),
     _("MISENA_SOFIA_ROSTER_URL and MISENA_SOFIA_ROSTER_TOKEN go together: set both or neither")),
)  # fmt: skip


def _what_to_fix(error: dict[str, object]) -> str:
    """One pydantic error as the Spanish line an operator acts on: which variable, and why."""
    where = error.get("loc")
    loc = [str(part) for part in where if isinstance(part, str | int)] if isinstance(where, tuple) else []
    message = str(error.get("msg", ""))
    named = _VARIABLE.findall(message)
    if not loc and named:  # a rule across settings (app/settings.py): name its variables
        for words, line in _RULES:
            if all(word in message for word in words):
                return line
        return _("check {variables}").format(variables=", ".join(named))
    variable = "MISENA_" + "__".join(loc).upper() if loc else "MISENA_*"
    one_of = _ONE_OF.search(message)
    if one_of:  # a field's own rule names what it may be
        return _("{variable} must be one of {values}").format(variable=one_of[1], values=one_of[2])
    if error.get("type") == "missing":
        return _("{variable} is missing").format(variable=variable)
    return _("{variable} has a value that is not valid (see app/settings.py)").format(variable=variable)


def _settings_failure(exc: ValidationError) -> CliError:
    lines = "; ".join(_what_to_fix(dict(error)) for error in exc.errors())
    return CliError(ExitCode.USAGE, _("configuration: {lines}").format(lines=lines), prefixed=False)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise _settings_failure(exc) from None


def database_url() -> str:
    try:
        return DatabaseSettings().database_url
    except ValidationError as exc:
        raise _settings_failure(exc) from None


def check_google_credentials(settings: Settings) -> None:
    """``serve`` and ``worker`` refuse at once, in one line, to run with no way to Google."""
    if settings.google_key_file is not None:
        if not Path(settings.google_key_file).is_file():
            raise CliError(
                ExitCode.USAGE,
                _("configuration: MISENA_GOOGLE_KEY_FILE names a file that does not exist: {path}").format(
                    path=settings.google_key_file
                ),
                prefixed=False,
            )
        return
    if settings.demo_mode or settings.google_api_endpoint or os.environ.get("GOOGLE_APPLICATION_CREDENTIALS"):
        return
    from google.auth import default
    from google.auth.exceptions import DefaultCredentialsError

    try:
        default()
    except DefaultCredentialsError:
        raise CliError(
            ExitCode.USAGE,
            _("configuration: MISENA_GOOGLE_KEY_FILE is missing (the service account's key, with "
              "domain-wide delegation), and there are no Application Default Credentials"),
            prefixed=False,
        ) from None  # fmt: skip


@contextmanager
def open_database(url: str | None = None) -> Iterator[sessionmaker[Session]]:
    try:
        engine = make_engine(url or database_url())
    except ArgumentError:
        raise CliError(
            ExitCode.USAGE, _("configuration: MISENA_DATABASE_URL is not a database URL"), prefixed=False
        ) from None
    try:
        yield session_factory(engine)
    except OperationalError:
        raise CliError(
            ExitCode.UNAVAILABLE,
            _(
                "cannot use the database of MISENA_DATABASE_URL "
                "(is it running, and migrated? `misena migrate`)"
            ),
        ) from None
    finally:
        engine.dispose()


def actor_label(actor: str | None) -> str:
    """How the audit trail names whoever runs a server-side command: ``cli:<actor>``."""
    if actor is None:
        try:
            actor = getpass.getuser()
        except (KeyError, OSError):
            raise usage_error(_("cannot tell the system user; say who acts"), "--actor") from None
    actor = actor.strip()
    if not actor or len(actor) > MAX_ACTOR:
        raise usage_error(_("between 1 and {n} characters").format(n=MAX_ACTOR), "--actor")
    return f"cli:{actor}"


class _Stderr:
    """``sys.stderr`` as it is at each write (a test runner swaps it while a command runs)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def logs_to_stderr() -> None:
    """Keep stdout for a token and ``--json``: the service's logs go to stderr, warnings up."""
    configure_logging("WARNING", stream=_Stderr())


class CommandClock:
    """The server-side commands' one clock: the machine's, read through :data:`cli_clock`, so a
    test driving them beside a service with a frozen clock points it at that clock."""

    def __init__(self) -> None:
        self.source: Clock = system_clock

    def __call__(self) -> datetime:
        return self.source()


cli_clock = CommandClock()


Actor = Annotated[
    str | None,
    typer.Option(
        help=_("Who acts; kept in the audit trail as cli:<actor>. By default, the system user."),
        show_default=False,
    ),
]
