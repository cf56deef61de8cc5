"""The message catalogues are whole and current: every message the code says has its Spanish,
no translation is fuzzy or drops a placeholder, and the compiled ``.mo`` the service reads says
what the ``.po`` says (``make catalogues`` rebuilds them)."""

from __future__ import annotations

import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.i18n import CLI_DOMAIN, CONSOLE_DOMAIN, LOCALE_DIR, SERVICE_DOMAIN, translations

ROOT = Path(__file__).resolve().parents[2]
#: What the Makefile's EXTRACT marks, and (SERVICE_KEYWORDS) what only the service's domain does.
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
SERVICE_KEYWORDS = {"Text": None, "Message": None}
DOMAIN_SOURCES = {
    SERVICE_DOMAIN: ((".", "service.cfg"),),
    CLI_DOMAIN: (("app/cli", "cli.cfg"),),
    CONSOLE_DOMAIN: (("app/console", "console.cfg"),),
}


def _catalog(domain: str) -> Catalog:
    with (LOCALE_DIR / "es" / "LC_MESSAGES" / f"{domain}.po").open("rb") as po:
        return read_po(po, locale="es")


def _method_map(config: str) -> list[tuple[str, str]]:
    """The pybabel mapping file's ``[method: pattern]`` sections as ``extract_from_dir`` wants
    them: ``(pattern, method)``, in the file's order (the first match wins)."""
    sections = [
        line[1:-1].split(":", 1)
        for line in (LOCALE_DIR / config).read_text().splitlines()
        if line.startswith("[") and line.endswith("]")
    ]
    return [(pattern.strip(), method) for method, pattern in sections]


def _code_messages(domain: str) -> set[str]:
    found: set[str] = set()
    keywords = {**KEYWORDS, **SERVICE_KEYWORDS} if domain == SERVICE_DOMAIN else KEYWORDS
    for base, config in DOMAIN_SOURCES[domain]:
        for _, _, message, _, _ in extract_from_dir(
            ROOT / base, method_map=_method_map(config), keywords=keywords
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _fields(text: str) -> set[str]:
    """A message's ``{placeholders}`` and ``%(placeholders)s``, which a translation must keep."""
    braces = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    return braces | set(re.findall(r"%\((\w+)\)", text))


@pytest.mark.parametrize("domain", [SERVICE_DOMAIN, CLI_DOMAIN, CONSOLE_DOMAIN])
def test_every_message_in_the_code_has_its_spanish(domain: str) -> None:
    catalog = _catalog(domain)
    missing = sorted(
        message
        for message in _code_messages(domain)
        if (entry := catalog.get(message)) is None
        or not entry.string
        or entry.fuzzy
        # every plural form: Spanish has three in CLDR (one, many, other), and gettext falls
        # back to the English msgid for a form left empty
        or (isinstance(entry.string, tuple) and not all(entry.string))
    )
    assert missing == [], f"run `make catalogues` and translate these in {domain}.po"


@pytest.mark.parametrize("domain", [SERVICE_DOMAIN, CLI_DOMAIN, CONSOLE_DOMAIN])
def test_translations_keep_their_placeholders(domain: str) -> None:
    broken = []
    for entry in _catalog(domain):
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = set().union(*(_fields(text) for text in ids))
        if any(text and not _fields(text) <= wanted for text in strings) or (
            strings[0] and _fields(strings[0]) != _fields(ids[0]) and len(ids) == 1
        ):
            broken.append(entry.id)
    assert broken == []


@pytest.mark.parametrize("domain", [SERVICE_DOMAIN, CLI_DOMAIN, CONSOLE_DOMAIN])
def test_compiled_catalogue_says_what_the_po_says(domain: str) -> None:
    compiled = translations("es", domain)
    stale = [
        entry.id
        for entry in _catalog(domain)
        if entry.id
        and isinstance(entry.id, str)
        and entry.string
        and compiled.gettext(entry.id) != entry.string
    ]
    assert stale == [], "run `make catalogues` to recompile the .mo files"


def test_typers_own_words_are_spanish_at_the_terminal() -> None:
    """Typer translates its help panels through Python's gettext; the CLI binds it first."""
    shown = subprocess.run(
        [sys.executable, "-m", "app", "--help"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert "Opciones" in shown
    assert "Comandos" in shown
    assert "Options" not in shown
