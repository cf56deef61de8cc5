"""Message catalogues: one language per audience, the words kept out of the code.

Every message is written once, in English, at the place that says it (the *msgid*); its
Spanish lives in a gettext catalogue under ``app/locale``. Three domains, three audiences:

* ``misena`` — what the service itself says: refusals, roster errors, emails. The API answers
  in English unless the client asks ``Accept-Language: es``; what a SENA person reads is
  rendered in Spanish.
* ``misena_console`` — the help-desk web console's pages (Jinja2's i18n extension), Spanish.
* ``misena_cli`` — the staff command line, Spanish always, including the words Typer
  translates itself (its help panels: "Options", "Commands", "Error"). Typer calls Python's
  global :func:`gettext.gettext`, so :func:`install_cli_language` binds the global domain to
  this catalogue before Typer is imported (``app/cli/__init__.py`` does it first thing).
  Typer's vendored copy of Click does *not* use gettext ("Usage:", "Show this message and
  exit.", its usage errors): the CLI renders those through this catalogue itself.

``make catalogues`` extracts the msgids (pybabel), merges them into each ``.po`` and compiles
the ``.mo`` files the service reads at run time; ``tests/app/test_catalogues.py`` fails when a
message has no Spanish, a translation is fuzzy or drops a placeholder, or a ``.mo`` is stale.
"""

from __future__ import annotations

import gettext
import os
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
SERVICE_DOMAIN = "misena"
CLI_DOMAIN = "misena_cli"
#: The help-desk web console (``app/console``): Spanish always, like the CLI.
CONSOLE_DOMAIN = "misena_console"
#: The languages catalogues exist for; English is the msgids themselves.
LANGUAGES = ("en", "es")
STAFF_LANGUAGE = "es"


@cache
def translations(language: str, domain: str = SERVICE_DOMAIN) -> gettext.NullTranslations:
    """The catalogue of ``domain`` in ``language``; English (or an unknown language) is the
    msgids themselves, so a missing catalogue can never hide a message."""
    if language not in LANGUAGES or language == "en":
        return gettext.NullTranslations()
    return gettext.translation(domain, LOCALE_DIR, languages=[language])


def negotiate(accept_language: str | None) -> str:
    """The language to answer in, from an ``Accept-Language`` header (RFC 9110 §12.5.4): the
    most preferred of :data:`LANGUAGES` by q-value, a regional tag (``es-CO``) counting as its
    language, ties kept in the header's order; English when none is acceptable or the header
    is absent or malformed. ``*`` stands for English, and ``q=0`` refuses a language."""
    best, best_q = "en", 0.0
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, parameters = part.strip().partition(";")
        language = tag.strip().lower().split("-", 1)[0]
        language = "en" if language == "*" else language
        q = _quality(parameters)
        if language in LANGUAGES and q > best_q:
            best, best_q = language, q
        if position > 50:  # a header is a short list; a long one is not worth reading on
            break
    return best


def _quality(parameters: str) -> float:
    for parameter in parameters.split(";"):
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def translate(message: str, language: str, domain: str = SERVICE_DOMAIN) -> str:
    """``message`` (an English msgid) in ``language``."""
    return translations(language, domain).gettext(message)


def spanish(message: str) -> str:
    """``message`` as a SENA person reads it."""
    return translate(message, STAFF_LANGUAGE)


def cli_gettext(message: str) -> str:
    """The staff CLI's ``_()``: ``message`` from the ``misena_cli`` catalogue, in Spanish."""
    return translations(STAFF_LANGUAGE, CLI_DOMAIN).gettext(message)


def cli_ngettext(singular: str, plural: str, count: int) -> str:
    """The staff CLI's plural-aware ``_()``."""
    return translations(STAFF_LANGUAGE, CLI_DOMAIN).ngettext(singular, plural, count)


def install_cli_language() -> None:
    """Make Python's global gettext — what Typer calls — speak the CLI's Spanish.

    Typer translates through :func:`gettext.gettext`, which reads the domain set by
    :func:`gettext.textdomain` and the language from ``LANGUAGE``. The command line is for SENA's
    IT staff whatever the machine's locale (servers are ``C.UTF-8``), so this process's
    ``LANGUAGE`` is set to Spanish. Typer reads some of its words when ``typer.rich_utils`` is
    first imported, so this must run before any help or error is rendered.
    """
    os.environ["LANGUAGE"] = STAFF_LANGUAGE
    gettext.bindtextdomain(CLI_DOMAIN, LOCALE_DIR)
    gettext.textdomain(CLI_DOMAIN)
