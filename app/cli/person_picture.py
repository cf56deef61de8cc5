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

from app.cli.rendering import _grid, _jobs_table, _state, _text, _when, emit, make_table
from app.http.v1.schemas import AuditOut, DeliveryOut, HoldOut, PersonDetail

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
        _grid(
            "Cuenta",
            [
                ("correo", _text(detail.account_email)),
                ("estado", _state(detail.account_status)),
                ("motivo", _text(detail.status_reason)),
                ("actualizado", _when(detail.updated_at)),
            ],
        )
    )
    record = {k: v for k, v in detail.record.items() if k not in ("enrollments", "field_times")}
    console.print(_grid("Registro en Sofia Plus", [(k, _text(v)) for k, v in record.items()]))
    enrollments = detail.record.get("enrollments") or []
    if enrollments:
        table = make_table("Matrículas", ENROLLMENT_COLUMNS)
        for enrollment in enrollments:
            table.add_row(*(_state(enrollment.get(c)) if c == "status" else _text(enrollment.get(c))
                            for c in ENROLLMENT_COLUMNS))  # fmt: skip
        emit(console, table)
    if detail.desired is None:
        console.print("[bold]Cuenta deseada[/bold]: ninguna (la política no le da cuenta hoy)")
    else:
        console.print(_grid("Cuenta deseada (política)", [(k, _text(v)) for k, v in detail.desired.items()]))
    workspace = detail.workspace.model_dump(exclude={"live"})
    console.print(
        _grid("Google Workspace (lo último que misena supo)", [(k, _text(v)) for k, v in workspace.items()])
    )
    _jobs_table(console, "Trabajos", detail.jobs)
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
            str(d.id), _state(d.status), _text(d.account_email), _text(d.recipient_email), _text(d.sender),
            str(d.attempts), _when(d.requested_at), _when(d.delivered_at), _when(d.next_attempt_at),
            _text(d.reason), _text(d.last_error),
        )  # fmt: skip
    emit(console, table)


def _holds_table(console: Console, holds: list[HoldOut]) -> None:
    table = make_table(
        f"Suspensiones retenidas: {len(holds)}", ("id", "motivo", "estado", "retenida", "decidida", "por")
    )
    for h in holds:
        table.add_row(
            str(h.id),
            _text(h.reason),
            _state(h.state),
            _when(h.held_at),
            _when(h.decided_at),
            _text(h.decided_by),
        )
    emit(console, table)


def _audit_table(console: Console, entries: list[AuditOut]) -> None:
    table = make_table(
        f"Auditoría: {len(entries)}", ("id", "cuándo", "quién", "acción", "objeto", "motivo", "detalles")
    )
    for a in entries:
        table.add_row(
            str(a.id), _when(a.at), _text(a.actor), _text(a.action), _text(a.target), _text(a.reason),
            _text(a.details),
        )  # fmt: skip
    emit(console, table)
