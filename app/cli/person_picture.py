"""The whole picture of one person at a terminal, as ``misena accounts show`` draws it: the
account, the Sofia Plus record and its enrollments, the account the policy wants, what misena
last knew of Google Workspace, and the person's jobs, credential deliveries, held suspensions
and audit trail.

Apart from :mod:`app.cli.accounts` because it only draws: it takes the
:class:`~app.http.v1.schemas.PersonDetail` the API answers with and prints it, so the
commands (finding the person, the IT staff's corrections) read without a page of tables.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from app.accounts.schemas import HoldOut
from app.cli.rendering import emit, grid_table, jobs_table, make_table, state_cell, text_cell, when_cell
from app.credentials.schemas import DeliveryOut
from app.lookup.schemas import PersonDetail
from app.staff.schemas import AuditOut

#: Of each enrollment in the record, what a table at a terminal shows (``--json`` has all).
ENROLLMENT_COLUMNS = ("ficha", "program_name", "centro_name", "regional_name", "modality", "status",
                      "start_date", "end_date")  # fmt: skip


def show(console: Console, detail: PersonDetail) -> None:
    flags = [
        f
        for f, on in (("excluida de misena", detail.excluded), ("suspendida por TI", detail.staff_suspended))
        if on
    ]
    console.print(
        f"[bold]{escape(detail.first_names)} {escape(detail.last_names)}[/bold]  "
        f"{escape(detail.person_key)}  (id {detail.id})" + "".join(f"  [magenta]{f}[/magenta]" for f in flags)
    )
    console.print(
        grid_table(
            "Cuenta",
            [
                ("correo", text_cell(detail.account_email)),
                ("estado", state_cell(detail.account_status)),
                ("motivo", text_cell(detail.status_reason)),
                ("actualizado", when_cell(detail.updated_at)),
            ],
        )
    )
    record = {k: v for k, v in detail.record.items() if k not in ("enrollments", "field_times")}
    console.print(grid_table("Registro en Sofia Plus", [(k, text_cell(v)) for k, v in record.items()]))
    enrollments = detail.record.get("enrollments") or []
    if enrollments:
        table = make_table("Matrículas", ENROLLMENT_COLUMNS)
        for enrollment in enrollments:
            table.add_row(*(state_cell(enrollment.get(c)) if c == "status" else text_cell(enrollment.get(c))
                            for c in ENROLLMENT_COLUMNS))  # fmt: skip
        emit(console, table)
    if detail.desired is None:
        console.print("[bold]Cuenta deseada[/bold]: ninguna (la política no le da cuenta hoy)")
    else:
        console.print(
            grid_table("Cuenta deseada (política)", [(k, text_cell(v)) for k, v in detail.desired.items()])
        )
    workspace = detail.workspace.model_dump(exclude={"live"})
    console.print(
        grid_table(
            "Google Workspace (lo último que misena supo)", [(k, text_cell(v)) for k, v in workspace.items()]
        )
    )
    jobs_table(console, "Trabajos", detail.jobs)
    _deliveries_table(console, detail.deliveries)
    _holds_table(console, detail.holds)
    _audit_table(console, detail.audit)


def _deliveries_table(console: Console, deliveries: list[DeliveryOut]) -> None:
    table = make_table(
        f"Envíos de credenciales: {len(deliveries)}",
        (
            "id",
            "estado",
            "cuenta",
            "destinatario",
            "remitente",
            "intentos",
            "solicitado",
            "entregado",
            "próximo intento",
            "motivo",
            "último error",
        ),
    )
    for d in deliveries:
        table.add_row(
            str(d.id),
            state_cell(d.status),
            text_cell(d.account_email),
            text_cell(d.recipient_email),
            text_cell(d.sender),
            str(d.attempts),
            when_cell(d.requested_at),
            when_cell(d.delivered_at),
            when_cell(d.next_attempt_at),
            text_cell(d.reason),
            text_cell(d.last_error),
        )
    emit(console, table)


def _holds_table(console: Console, holds: list[HoldOut]) -> None:
    table = make_table(
        f"Suspensiones retenidas: {len(holds)}", ("id", "motivo", "estado", "retenida", "decidida", "por")
    )
    for h in holds:
        table.add_row(
            str(h.id),
            text_cell(h.reason),
            state_cell(h.state),
            when_cell(h.held_at),
            when_cell(h.decided_at),
            text_cell(h.decided_by),
        )
    emit(console, table)


def _audit_table(console: Console, entries: list[AuditOut]) -> None:
    table = make_table(
        f"Auditoría: {len(entries)}", ("id", "cuándo", "quién", "acción", "objeto", "motivo", "detalles")
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
