"""``misena demo``: the whole service on this machine (``make run``), a signed enrollment sent
to it, and what it made of it.

``misena demo`` leaves a ``demo`` profile (:mod:`app.demo.run`); ``enroll`` and ``show`` find the
running demo through it like every staff command finds its service, and say in one line when it
is not running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import httpx
import typer
from httplib2 import HttpLib2Error

from app.cli.api import Api, not_running
from app.cli.plumbing import CliError, ExitCode
from app.cli.profiles import DEMO_PROFILE, Profile, load_book, store_profile
from app.cli.rendering import err_console, out_console, text_cell
from app.cli.spanish_typer import SpanishTyper
from app.i18n import cli_gettext as _

if TYPE_CHECKING:
    from app.demo.run import DemoReady

demo_cli = SpanishTyper(
    help=_("Demo mode: everything on this machine, no credentials."), no_args_is_help=False
)


def _ready(ready: DemoReady) -> None:
    """Save the ``demo`` profile (the default when there is none) and say what to do next."""
    path = store_profile(Profile(DEMO_PROFILE, ready.url, ready.token, ready.emulator_url))
    which = (
        _("the default one, so the staff commands need nothing more")
        if load_book(path).default == DEMO_PROFILE
        else _("use it with --profile demo or MISENA_PROFILE=demo")
    )
    lines = [
        "",
        "[bold green]" + _("misena — demo mode") + "[/bold green]",
        _("  API:                 {url}  (docs: /docs, health: /readyz)").format(url=ready.url),
        _("  Google emulator:     {url}").format(url=ready.emulator_url),
        _("  Database:            {url}").format(url=ready.database_url),
        _("  Service key:         {path}").format(path=ready.key_file),
        _("  Webhook secret:      {secret}   (also in {path})").format(
            secret=ready.webhook_secret, path=ready.secret_file
        ),
        _("  Profile «demo»:      in {path}, {which}").format(path=path, which=which),
        "",
        _("Send a signed enrollment from another terminal:"),
        "  .venv/bin/misena demo enroll --document 1098765432 --email majo.pena@example.com",
        _("and see the account created and the email received:"),
        "  .venv/bin/misena demo show 1098765432",
        _("or look it up as IT staff do:"),
        "  .venv/bin/misena accounts search --document 1098765432",
        "",
    ]
    err_console().print("\n".join(lines), soft_wrap=True)


@demo_cli.callback(
    invoke_without_command=True, help=_("Start the service in demo mode (SQLite + Google emulator).")
)
def demo_run(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from app.demo.run import run_demo

    run_demo(_ready)


def demo_profile() -> Profile:
    """The running demo's profile; exit 7 with what to do if ``make run`` never ran."""
    profile = load_book().profiles.get(DEMO_PROFILE)
    if profile is None:
        raise CliError(ExitCode.NOT_CONNECTED, _("the demo is not running: start `make run`"), prefixed=False)
    return profile


@demo_cli.command("enroll", help=_("Send the demo service a signed enrollment (enrollment.created)."))
def demo_enroll(
    document: Annotated[str, typer.Option(help=_("The apprentice's document number."))] = "1098765432",
    email: Annotated[str, typer.Option(help=_("The apprentice's personal email."))] = "majo.pena@example.com",
    first_names: Annotated[str, typer.Option(help=_("First names."))] = "MARÍA JOSÉ",
    last_names: Annotated[str, typer.Option(help=_("Last names."))] = "PEÑA DE LA TORRE",
    ficha: Annotated[str, typer.Option(help=_("Ficha."))] = "2758392",
) -> None:
    from app.demo.environment import SECRET_FILE, sample_enrollment, send_signed

    profile = demo_profile()
    try:
        secret = SECRET_FILE.read_text("utf-8").strip()
    except OSError:
        raise CliError(
            ExitCode.NOT_CONNECTED,
            _("no demo webhook secret in {path}: start `make run` in this directory").format(
                path=SECRET_FILE
            ),
            prefixed=False,
        ) from None
    event = sample_enrollment(document, email, first_names, last_names, ficha)
    try:
        response = send_signed(f"{profile.url}/webhooks/sofia-plus", secret, event)
    except httpx.TransportError:
        raise not_running(profile) from None
    if response.status_code != 202:
        raise CliError(
            ExitCode.USAGE if response.status_code < 500 else ExitCode.ERROR,
            _("the service refused the enrollment (HTTP {status}): {body}").format(
                status=response.status_code, body=response.text[:500]
            ),
        )
    out_console().print(
        "[green]✔[/green] "
        + _("enrollment of {document} received (HTTP 202); see it with `misena demo show {document}`").format(
            document=document
        )
    )


@demo_cli.command("show", help=_("Show the account created in the emulator and the credentials email sent."))
def demo_show(
    document: Annotated[str, typer.Argument(help=_("The apprentice's document number."))],
) -> None:
    profile = demo_profile()
    client = Api(profile)
    try:
        page = client.get("/v1/people", {"document": document, "limit": 2})
        if not page["items"]:
            raise CliError(
                ExitCode.NOT_FOUND,
                _(
                    "nobody with document {document} yet: "
                    "send one with `misena demo enroll --document {document}`"
                ).format(document=document),
            )
        person_id = page["items"][0]["id"]
        detail = client.get(f"/v1/people/{person_id}", {"live": "true"})
    finally:
        client.close()
    _print_account(detail)
    _print_emails(detail, profile)


def _print_account(detail: dict[str, Any]) -> None:
    out = out_console()
    user = (detail.get("workspace") or {}).get("live")
    if not user:
        out.print(_("[bold]Account[/bold]: not in Google yet (state: {state}); the worker is on it").format(
            state=detail.get("account_status")))  # fmt: skip
        return
    full_name = (user.get("name") or {}).get("full_name")
    out.print(f"[bold]{_('Account')}[/bold] {text_cell(user.get('primary_email'))}  ({text_cell(full_name)})")
    out.print("  " + _("org unit: {unit}").format(unit=text_cell(user.get("org_unit_path"))))
    out.print("  " + _("change password at sign-in: {value}").format(
        value=text_cell(bool(user.get("change_password_at_next_login")))))  # fmt: skip
    email, phone = text_cell(user.get("recovery_email")), text_cell(user.get("recovery_phone"))
    out.print("  " + _("recovery email: {email}  mobile: {phone}").format(email=email, phone=phone))


def _print_emails(detail: dict[str, Any], profile: Profile) -> None:
    from app.demo.show import credential_emails

    address = detail.get("account_email")
    if not address or not profile.emulator_url:
        return
    try:
        mails = credential_emails(address, profile.emulator_url.rstrip("/") + "/")
    except (OSError, HttpLib2Error):
        raise CliError(
            ExitCode.NOT_CONNECTED,
            _("the demo's Google emulator at {url} is not running: start `make run`").format(
                url=profile.emulator_url
            ),
            prefixed=False,
        ) from None
    out = out_console()
    for mail in mails:
        out.print(
            "\n[bold]" + _("Email sent") + "[/bold] "
            + _("from {sender} to {to}: {subject}").format(sender=mail.sender, to=text_cell(mail.to),
                                                           subject=text_cell(mail.subject)) + "\n"
        )  # fmt: skip
        out.print(mail.text, markup=False)
