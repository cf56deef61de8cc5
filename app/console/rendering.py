"""The console's pages: Jinja2 templates shipped in the package, their words from the
``misena_console`` gettext catalogue (Spanish), and what every page is given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.console.labels import label
from app.console.staff import CSRF_FIELD, Staff, csrf_token
from app.console.words import _
from app.i18n import CONSOLE_DOMAIN, STAFF_LANGUAGE, translations
from app.staff.tokens import Scope

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
#: Where the console is mounted; every link and form names it.
BASE = "/console"
FLASH_KEY = "flash"


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        auto_reload=False,  # the templates ship with the package: no stat per page rendered
        autoescape=select_autoescape(["html", "j2"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # The i18n extension adds this method to the instance (``Environment.extend``); typed
    # stubs do not know it, the instance's dict does.
    install = vars(environment)["install_gettext_translations"]
    install(translations(STAFF_LANGUAGE, CONSOLE_DOMAIN), newstyle=True)
    environment.filters["when"] = _when
    environment.filters["label"] = label
    environment.globals |= {"base": BASE, "Scope": Scope, "csrf_field": CSRF_FIELD}
    return environment


#: Colombia's time (no daylight saving): what a help-desk agent's clock says.
COLOMBIA = timezone(timedelta(hours=-5), "COT")


def _when(moment: datetime | None) -> str:
    """A stored instant (UTC; naive from SQLite) as Colombia's local time."""
    if moment is None:
        return "—"
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(COLOMBIA).strftime("%Y-%m-%d %H:%M")


ENVIRONMENT = _environment()
__all__ = ["BASE", "ENVIRONMENT", "STATIC", "_", "flash", "render"]


def flash(request: Request, kind: str, message: str) -> None:
    """A message for the next page the browser shows (after the redirect of a POST)."""
    request.session.setdefault(FLASH_KEY, []).append({"kind": kind, "text": message})


def render(
    request: Request, template: str, staff: Staff | None, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    messages = request.session.pop(FLASH_KEY, [])
    page = ENVIRONMENT.get_template(template).render(
        staff=staff,
        csrf=csrf_token(request),
        messages=messages,
        path=request.url.path,
        **context,
    )
    return HTMLResponse(page, status_code=status_code)
