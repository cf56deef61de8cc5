"""``misena accounts``: people's Mi SENA accounts at a terminal — search, the whole picture of
one person, and the IT staff's corrections.

A client of ``/v1/people``: the service finds and pictures people and makes every change, so it
lands in the audit trail under the profile's token, and ``--json`` prints the API's answer.
Apart from ``misena jobs`` because only this group names a person (by document or ``--id``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from app.accounts.schemas import PlanOut
from app.cli.api import Api, api, staff_group
from app.cli.person_picture import show
from app.cli.person_plan import show_plan
from app.cli.plumbing import (
    MAX_ID,
    CliError,
    ExitCode,
    Json,
    Limit,
    PageToken,
    Reason,
    RequiredReason,
    checked_reason,
    required_reason,
    usage_error,
)
from app.cli.rendering import (
    ACCOUNT_STATES,
    emit,
    err_console,
    make_table,
    out_console,
    print_json,
    print_more,
    state_cell,
    text_cell,
)
from app.db.states import AccountStatus
from app.i18n import cli_gettext as _
from app.lookup.schemas import PersonDetail, PersonSummary
from sofia_sync.enums import DocumentType

accounts_cli = staff_group(_("People's Mi SENA accounts: search, see the whole picture, correct."))


Document = Annotated[
    str | None,
    typer.Argument(
        metavar=_("DOCUMENT"),
        help=_(
            "Document number (1098765432, with or without separators) or type:number (TI:1098765432);"
            " also finds whoever changed document (TI → CC) by the former one."
        ),
        show_default=False,
    ),
]
PersonIdOption = Annotated[
    int | None,
    typer.Option("--id", min=1, max=MAX_ID, help=_("The person's id in misena, instead of the document.")),
]
NO_PERSON = _("no person has that document")


def _checked_document(document: str) -> str:
    kind, colon, number = document.strip().rpartition(":")
    known = ", ".join(t.value for t in DocumentType)
    if not number.strip() or (colon and kind.strip().upper() not in set(DocumentType)):
        raise usage_error(
            _("use 1098765432 or type:number, e.g. TI:1098765432 (types {types})").format(types=known),
            _("DOCUMENT"),
        )
    return document.strip()


def _person(client: Api, document: str | None, person_id: int | None) -> tuple[int, str | None]:
    """The one person meant: ``(id, person_key)``; exits 3 if nobody matches, 2 (saying which)
    if several do."""
    if document is None and person_id is not None:
        return person_id, None
    if document is None or person_id is not None:
        raise usage_error(_("give the document or --id (one of the two)"))
    page = client.get("/v1/people", {"document": _checked_document(document), "limit": 20})
    people = [PersonSummary.model_validate(item) for item in page["items"]]
    if not people:
        raise CliError(ExitCode.NOT_FOUND, NO_PERSON)
    if len(people) > 1:
        _print_people(err_console(), _("Several people have that number: {n}").format(n=len(people)), people)
        raise CliError(
            ExitCode.USAGE,
            _("say which: with the document type (e.g. TI:1098765432) or with --id"),
            prefixed=False,
        )
    return people[0].id, people[0].person_key


def _print_people(console: Console, title: str, people: list[PersonSummary]) -> None:
    table = make_table(title, (_("id"), _("document"), _("names"), _("account"), _("state"), _("reason")))
    for summary in people:
        flags = [
            f
            for f, on in ((_("excluded"), summary.excluded), (_("susp. by IT"), summary.staff_suspended))
            if on
        ]
        table.add_row(
            str(summary.id),
            escape(summary.person_key),
            escape(f"{summary.first_names} {summary.last_names}"),
            text_cell(summary.account_email),
            state_cell(summary.account_status, ACCOUNT_STATES)
            + "".join(f" [magenta]{f}[/magenta]" for f in flags),
            text_cell(summary.status_reason),
        )
    emit(console, table)


def _ficha(value: str | None) -> str | None:
    if value is not None and not (len(value) <= 20 and value.replace("-", "").isalnum() and value.isascii()):
        raise typer.BadParameter(_("only letters, digits and hyphens (up to 20)"))
    return value


@accounts_cli.command("search", help=_("Search people (newest first); filters combine."))
def accounts_search(
    document: Annotated[
        str | None, typer.Option(help=_("Document number, with or without separators."), show_default=False)
    ] = None,
    email: Annotated[
        str | None, typer.Option(help=_("Account or personal email (or part)."), show_default=False)
    ] = None,
    name: Annotated[
        str | None, typer.Option(help=_("Part of the names or surnames."), show_default=False)
    ] = None,
    ficha: Annotated[
        str | None, typer.Option(help=_("Ficha (whole)."), callback=_ficha, show_default=False)
    ] = None,
    state: Annotated[AccountStatus | None, typer.Option(help=_("Account state."), show_default=False)] = None,
    limit: Limit = 50,
    page_token: PageToken = None,
    as_json: Json = False,
) -> None:
    if document is not None:
        document = _checked_document(document)
    params = {"document": document, "email": email, "name": name, "ficha": ficha,
              "state": state.value if state else None, "limit": limit, "page_token": page_token}  # fmt: skip
    page = api().get("/v1/people", params)
    if as_json:
        print_json(page)
        return
    people = [PersonSummary.model_validate(item) for item in page["items"]]
    _print_people(out_console(), _("People: {n}").format(n=len(people)), people)
    print_more(page.get("next_page_token"))


@accounts_cli.command(
    "show",
    help=_(
        "Everything about one person: Sofia Plus record, desired account, state in Workspace, jobs, "
        "credential deliveries (never the password), held suspensions and audit trail."
    ),
)
def accounts_show(
    document: Document = None,
    person_id: PersonIdOption = None,
    live: Annotated[
        bool, typer.Option("--live", help=_("Also read the account from Google now (one call)."))
    ] = False,
    as_json: Json = False,
) -> None:
    client = api()
    found, _key = _person(client, document, person_id)
    detail: dict[str, Any] = client.get(
        f"/v1/people/{found}", {"live": "true" if live else None}, not_found=_("no person with that id")
    )
    if as_json:
        print_json(detail)
        return
    show(out_console(), PersonDetail.model_validate(detail))


@accounts_cli.command(
    "explain",
    help=_(
        "What a reconcile would do now, without doing it: the desired account, the account in "
        "Google and each Google call it would make."
    ),
)
def accounts_explain(
    document: Document = None, person_id: PersonIdOption = None, as_json: Json = False
) -> None:
    client = api()
    found, _key = _person(client, document, person_id)
    plan: dict[str, Any] = client.get(f"/v1/people/{found}/plan", not_found=_("no person with that id"))
    if as_json:
        print_json(plan)
        return
    show_plan(out_console(), PlanOut.model_validate(plan))


@accounts_cli.command(
    "export",
    help=_(
        "Everything misena holds about the person, as JSON, for a habeas-data request "
        "(audited with the reason); never a password."
    ),
)
def accounts_export(
    reason: RequiredReason,
    output: Annotated[
        Path, typer.Option("--output", "-o", help=_("File to write the JSON to."), show_default=False)
    ],
    document: Document = None,
    person_id: PersonIdOption = None,
) -> None:
    client = api()
    found, key = _person(client, document, person_id)
    exported = client.get(
        f"/v1/people/{found}/export",
        {"reason": required_reason(reason)},
        not_found=_("no person with that id"),
    )
    output.write_text(json.dumps(exported, ensure_ascii=False, indent=2), encoding="utf-8")
    who = f"{escape(key)} (id {found})" if key else f"id {found}"
    out_console().print(
        _("[green]✔[/green] data of {who} exported to {path}").format(who=who, path=escape(str(output)))
    )


APPLIED = _("the worker applies it at the next reconcile")


def _act(
    document: str | None,
    person_id: int | None,
    action: str,
    body: dict[str, Any],
    done: str,
    as_json: bool,
) -> None:
    client = api()
    found, key = _person(client, document, person_id)
    accepted = client.post(f"/v1/people/{found}/{action}", body, not_found=_("no person with that id"))
    if as_json:
        print_json(accepted)
        return
    who = f"{escape(key)} (id {found})" if key else f"id {found}"
    out_console().print(f"[green]✔[/green] {done}: {who}")


@accounts_cli.command(
    "resend-credentials", help=_("Generate a new password and email it to the personal email Sofia Plus has.")
)
def accounts_resend_credentials(
    reason: RequiredReason, document: Document = None, person_id: PersonIdOption = None, as_json: Json = False
) -> None:
    _act(document, person_id, "resend-credentials", {"reason": required_reason(reason)},
         _("new credentials on their way to the personal email"), as_json)  # fmt: skip


@accounts_cli.command(
    "suspend", help=_("Suspend the account (misuse), whatever Sofia Plus says, until `unsuspend`.")
)
def accounts_suspend(
    reason: RequiredReason, document: Document = None, person_id: PersonIdOption = None, as_json: Json = False
) -> None:
    _act(document, person_id, "suspend", {"reason": required_reason(reason)},
         _("suspension recorded ({applied})").format(applied=APPLIED), as_json)  # fmt: skip


@accounts_cli.command(
    "unsuspend",
    help=_(
        "Lift a suspension made by IT staff or outside misena (in Google's console). "
        "Sofia Plus still decides: a withdrawn apprentice stays suspended."
    ),
)
def accounts_unsuspend(
    document: Document = None, person_id: PersonIdOption = None, reason: Reason = None, as_json: Json = False
) -> None:
    _act(document, person_id, "unsuspend", {"reason": checked_reason(reason)},
         _("suspension lifted ({applied})").format(applied=APPLIED), as_json)  # fmt: skip


@accounts_cli.command(
    "reconcile", help=_("Reconcile the account with Sofia Plus now (undoes what was changed by hand).")
)
def accounts_reconcile(
    document: Document = None, person_id: PersonIdOption = None, reason: Reason = None, as_json: Json = False
) -> None:
    _act(document, person_id, "reconcile", {"reason": checked_reason(reason)},
         _("reconcile queued"), as_json)  # fmt: skip


@accounts_cli.command(
    "exclude",
    help=_("Take the person out of misena's management: the account is not touched until `include`."),
)
def accounts_exclude(
    reason: RequiredReason, document: Document = None, person_id: PersonIdOption = None, as_json: Json = False
) -> None:
    _act(document, person_id, "exclude", {"reason": required_reason(reason)},
         _("excluded from misena's management"), as_json)  # fmt: skip


@accounts_cli.command(
    "include", help=_("Bring the person back under misena's management (and reconcile the account).")
)
def accounts_include(
    document: Document = None, person_id: PersonIdOption = None, reason: Reason = None, as_json: Json = False
) -> None:
    _act(document, person_id, "include", {"reason": checked_reason(reason)},
         _("back under misena's management ({applied})").format(applied=APPLIED), as_json)  # fmt: skip
