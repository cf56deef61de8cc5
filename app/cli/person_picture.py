"""The whole picture of one person at a terminal, as ``misena accounts show`` draws it: the
account, the Sofia Plus record and its enrollments, the account the policy wants, what misena
last knew of Google Workspace, and the person's jobs, credential deliveries, held suspensions
and audit trail.

Apart from :mod:`app.cli.accounts` because it only draws: it takes the
:class:`~app.http.v1.schemas.PersonDetail` the API answers with and prints it, so the
commands (finding the person, the IT staff's corrections) read without a page of tables.
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.markup import escape

from app.accounts.follow_up import FollowUpState
from app.accounts.schemas import FollowUpOut, HoldOut
from app.cli.rendering import (
    ACCOUNT_STATES,
    DELIVERY_STATES,
    HOLD_STATES,
    emit,
    fields_table,
    grid_table,
    jobs_table,
    make_table,
    state_cell,
    text_cell,
    when_cell,
)
from app.credentials.schemas import DeliveryOut
from app.db.states import DeliveryReason
from app.i18n import cli_gettext as _
from app.lookup.schemas import PersonDetail
from app.staff.schemas import AuditOut

DELIVERY_REASONS = {
    DeliveryReason.NEW_ACCOUNT: _("new account"),
    DeliveryReason.ACCOUNT_RECREATED: _("account created again"),
    DeliveryReason.ACCOUNT_RESTORED: _("account restored"),
    DeliveryReason.STAFF_RESET: _("reset by IT"),
    DeliveryReason.REMINDER: _("reminder"),
}
FOLLOW_UP_STATES = {
    FollowUpState.NOT_DELIVERED: _("credentials not delivered yet"),
    FollowUpState.WAITING: _("waiting for the first sign-in"),
    FollowUpState.REMINDED: _("reminded, not signed in yet"),
    FollowUpState.FLAGGED: _("for the help desk"),
    FollowUpState.SIGNED_IN: _("has signed in"),
}

#: Of each enrollment in the record, what a table at a terminal shows (``--json`` has all).
ENROLLMENT_COLUMNS = {
    "ficha": _("ficha"),
    "program_name": _("program"),
    "centro_name": _("centro"),
    "regional_name": _("regional"),
    "modality": _("modality"),
    "status": _("status"),
    "start_date": _("start"),
    "end_date": _("end"),
}


def show(console: Console, detail: PersonDetail) -> None:
    flags = [
        f
        for f, on in (
            (_("excluded from misena"), detail.excluded),
            (_("suspended by IT"), detail.staff_suspended),
        )
        if on
    ]
    console.print(
        f"[bold]{escape(detail.first_names)} {escape(detail.last_names)}[/bold]  "
        f"{escape(detail.person_key)}  (id {detail.id})" + "".join(f"  [magenta]{f}[/magenta]" for f in flags)
    )
    console.print(
        grid_table(
            _("Account"),
            [
                (_("email"), text_cell(detail.account_email)),
                (_("state"), state_cell(detail.account_status, ACCOUNT_STATES)),
                (_("reason"), text_cell(detail.status_reason)),
                (_("updated"), when_cell(detail.updated_at)),
            ],
        )
    )
    _follow_up_grid(console, detail.first_signed_in_at, detail.follow_up)
    record = {k: v for k, v in detail.record.items() if k not in ("enrollments", "field_times")}
    console.print(fields_table(_("Sofia Plus record"), record))
    enrollments = detail.record.get("enrollments") or []
    if enrollments:
        table = make_table(_("Enrollments"), tuple(ENROLLMENT_COLUMNS.values()))
        for enrollment in enrollments:
            table.add_row(*(state_cell(enrollment.get(c)) if c == "status" else text_cell(enrollment.get(c))
                            for c in ENROLLMENT_COLUMNS))  # fmt: skip
        emit(console, table)
    if detail.desired is None:
        console.print(_("[bold]Desired account[/bold]: none (the policy gives them no account today)"))
    else:
        console.print(fields_table(_("Desired account (policy)"), detail.desired))
    workspace = detail.workspace.model_dump(exclude={"live"})
    console.print(fields_table(_("Google Workspace (what misena last knew)"), workspace))
    if detail.workspace.live is not None:
        console.print(fields_table(_("Google Workspace now (read live)"), detail.workspace.live))
    jobs_table(console, _("Jobs"), detail.jobs)
    _deliveries_table(console, detail.deliveries)
    _holds_table(console, detail.holds)
    _audit_table(console, detail.audit)


def _follow_up_grid(console: Console, signed_in_at: datetime | None, follow_up: FollowUpOut) -> None:
    console.print(
        grid_table(
            _("First sign-in and follow-up"),
            [
                (_("first sign-in"), when_cell(signed_in_at)),
                (_("follow-up"), state_cell(follow_up.state, FOLLOW_UP_STATES)),
                (_("reminders sent"), str(follow_up.reminders_sent)),
                (_("last reminder"), when_cell(follow_up.last_reminded_at)),
                (_("next step"), when_cell(follow_up.next_step_at)),
                (_("flagged for the help desk"), when_cell(follow_up.flagged_at)),
                (_("why"), text_cell(follow_up.flag_reason)),
            ],
        )
    )


def _deliveries_table(console: Console, deliveries: list[DeliveryOut]) -> None:
    table = make_table(
        _("Credential deliveries: {n}").format(n=len(deliveries)),
        (
            _("id"),
            _("state"),
            _("account"),
            _("recipient"),
            _("sender"),
            _("attempts"),
            _("requested"),
            _("delivered"),
            _("next attempt"),
            _("reason"),
            _("last error"),
        ),
    )
    for d in deliveries:
        table.add_row(
            str(d.id),
            state_cell(d.status, DELIVERY_STATES),
            text_cell(d.account_email),
            text_cell(d.recipient_email),
            text_cell(d.sender),
            str(d.attempts),
            when_cell(d.requested_at),
            when_cell(d.delivered_at),
            when_cell(d.next_attempt_at),
            text_cell(DELIVERY_REASONS.get(d.reason, d.reason)),
            text_cell(d.last_error),
        )
    emit(console, table)


def _holds_table(console: Console, holds: list[HoldOut]) -> None:
    table = make_table(
        _("Held suspensions: {n}").format(n=len(holds)),
        (_("id"), _("reason"), _("state"), _("held"), _("decided"), _("by")),
    )
    for h in holds:
        table.add_row(
            str(h.id),
            text_cell(h.reason),
            state_cell(h.state, HOLD_STATES),
            when_cell(h.held_at),
            when_cell(h.decided_at),
            text_cell(h.decided_by),
        )
    emit(console, table)


def _audit_table(console: Console, entries: list[AuditOut]) -> None:
    table = make_table(
        _("Audit trail: {n}").format(n=len(entries)),
        (_("id"), _("when"), _("who"), _("action"), _("target"), _("reason"), _("details")),
    )
    for a in entries:
        table.add_row(
            str(a.id),
            when_cell(a.at),
            text_cell(a.actor),
            text_cell(a.action),
            text_cell(a.target),
            text_cell(a.reason),
            text_cell(a.details),
        )
    emit(console, table)
