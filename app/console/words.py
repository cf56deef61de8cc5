"""The console's words: ``_()`` and ``ngettext()`` for its Python code, from the ``misena_console``
catalogue."""

from __future__ import annotations

from app.i18n import CONSOLE_DOMAIN, STAFF_LANGUAGE, translations


def _(message: str) -> str:
    """A message of the console's Python code (an English msgid), in the console's Spanish."""
    return translations(STAFF_LANGUAGE, CONSOLE_DOMAIN).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """``_()`` for a message about ``count`` things (Spanish has three plural forms)."""
    return translations(STAFF_LANGUAGE, CONSOLE_DOMAIN).ngettext(singular, plural, count)
