"""A file the service exports, saved where the person asked (``-o``) or under the name the
service gives it, or written to standard output (``-o -``): shared by every export command."""

from __future__ import annotations

from email.message import Message
from pathlib import Path
from typing import Annotated

import httpx
import typer

from app.cli.plumbing import usage_error
from app.i18n import cli_gettext as _
from app.spreadsheet import ExportFormat

Output = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help=_("Output file; - for standard output. By default, the name the service gives."),
        show_default=False,
    ),
]
Format = Annotated[
    ExportFormat | None,
    typer.Option(
        "--format",
        help=_("excel (Spanish, as Excel opens it; the service's default) or csv (for programs)."),
        show_default=False,
    ),
]


def file_name(disposition: str | None, fallback: str) -> str:
    """The name the service gives its export (``Content-Disposition``), without any path."""
    message = Message()
    message["content-disposition"] = disposition or ""
    name = message.get_filename() or fallback
    return Path(name).name or fallback


def save(response: httpx.Response, output: str | None, fallback: str) -> Path | None:
    """Write the streamed body; the path written, or ``None`` for standard output."""
    if output == "-":
        stdout = typer.get_binary_stream("stdout")
        for chunk in response.iter_bytes():
            stdout.write(chunk)
        stdout.flush()
        return None
    path = Path(output) if output else Path(file_name(response.headers.get("content-disposition"), fallback))
    try:
        with path.open("wb") as handle:
            for chunk in response.iter_bytes():
                handle.write(chunk)
    except OSError as exc:
        raise usage_error(_("cannot write {path}: {why}").format(path=path, why=exc.strerror)) from None
    return path
