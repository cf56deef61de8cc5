"""``misena login``, ``logout`` and ``profiles``: which service the staff commands talk to.

``login`` checks the URL and token with one authenticated request before storing anything, so a
mistyped token is told at once (exit 8) rather than on the next command; the profile then lives
in the per-user file of :mod:`app.cli.profiles`. Tokens are only ever shown masked.
"""

from __future__ import annotations

from typing import Annotated

import httpx
import typer

from app.cli.api import Api
from app.cli.plumbing import CliError, ExitCode
from app.cli.profiles import Profile, config_path, load_book, remove_profile, store_profile
from app.cli.rendering import emit, err_console, make_table, out_console, print_json
from app.i18n import cli_gettext as _

#: Reads that every kind of staff token may make: a token that can make neither is of no use here.
PROBES = ("/v1/people?limit=1", "/v1/sync-runs?limit=1")


def check(profile: Profile) -> None:
    """One authenticated GET (a second if the token has another scope); failures as usual."""
    client = Api(profile)
    try:
        for probe in PROBES:
            if client.send("GET", probe, ok=(403,)).status_code != 403:
                return
    finally:
        client.close()
    raise CliError(
        ExitCode.REFUSED,
        _("the token is valid but can read neither people (accounts:read) nor sync runs (sync:run)"),
    )


def login(
    url: Annotated[str, typer.Option(help=_("The service's address, e.g. https://misena.sena.edu.co."))],
    token: Annotated[
        str,
        typer.Option(
            help=_("An API token (`misena tokens create` on the server prints it once)."),
            prompt=_("Token"),
            hide_input=True,
        ),
    ],
    profile: Annotated[str, typer.Option(help=_("The profile's name."))] = "default",
    default: Annotated[
        bool, typer.Option("--default/--not-default", help=_("Make it the default profile."))
    ] = True,
) -> None:
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        url = "https://" + url
    try:
        httpx.URL(url)
    except httpx.InvalidURL:
        raise CliError(ExitCode.USAGE, _("--url: not a web address: {url}").format(url=url)) from None
    stored = Profile(profile, url, token.strip())
    check(stored)
    path = store_profile(stored, make_default=default)
    err_console().print(
        "[green]✔[/green] "
        + _("logged in to {url}; profile «{name}» saved in {path}").format(url=url, name=profile, path=path),
        soft_wrap=True,
    )


def logout(
    profile: Annotated[
        str | None,
        typer.Option(help=_("The profile to forget (by default, the default one)."), show_default=False),
    ] = None,
) -> None:
    name = profile or load_book().default
    if name is None or not remove_profile(name):
        raise CliError(ExitCode.NOT_FOUND, _("there is no profile «{name}»").format(name=name or "default"))
    err_console().print("[green]✔[/green] " + _("profile «{name}» forgotten").format(name=name))


def profiles(
    as_json: Annotated[bool, typer.Option("--json", help=_("Print JSON instead of a table."))] = False,
) -> None:
    book = load_book()
    if as_json:
        print_json({
            "default": book.default,
            "profiles": [
                {"name": p.name, "url": p.url, "token": p.masked_token()} for p in book.profiles.values()
            ],
        })  # fmt: skip
        return
    table = make_table(
        _("Profiles in {path}: {n}").format(path=config_path(), n=len(book.profiles)),
        (_("name"), _("URL"), _("token"), _("default")),
    )
    for p in book.profiles.values():
        table.add_row(p.name, p.url, p.masked_token(), _("yes") if p.name == book.default else "")
    emit(out_console(), table)
