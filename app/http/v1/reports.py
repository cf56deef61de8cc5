"""``/v1/reports``: how the accounts are taken up, for SENA's coordinators (JSON, or a file)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from app.http.v1.deps import Reader, ServicesDep, problems
from app.lookup.activation_report import (
    ActivationFilter,
    ActivationReport,
    GroupBy,
    activation_report,
    report_columns,
)
from app.spreadsheet import ExportFormat, table_chunks

router = APIRouter(prefix="/reports", tags=["reports"])
Code = Annotated[str | None, Query(max_length=64, pattern=r"^[0-9A-Za-z-]+$")]


@router.get(
    "/activation",
    response_model=ActivationReport,
    responses={
        **problems(),
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "The report (JSON); with `format=excel`, `;`-separated UTF-8 with a "
            "byte-order mark and Spanish headers, as Excel opens it on a Spanish-locale Windows; "
            "with `format=csv`, `,`-separated UTF-8 without BOM and English headers.",
        },
    },
    summary="Activation report: credentials delivered, signed in, pending, reminded, flagged",
)
def get_activation_report(
    services: ServicesDep,
    _: Reader,
    group_by: Annotated[GroupBy, Query(description="regional, centro or ficha.")] = GroupBy.REGIONAL,
    regional: Annotated[Code, Query(description="Only this regional (code).")] = None,
    centro: Annotated[Code, Query(description="Only this centro (code).")] = None,
    ficha: Annotated[Code, Query(description="Only this ficha.")] = None,
    export: Annotated[
        ExportFormat | None, Query(alias="format", description="excel or csv: a file instead of JSON.")
    ] = None,
) -> ActivationReport | Response:
    filters = ActivationFilter(regional=regional, centro=centro, ficha=ficha)
    with services.sessions() as session:
        report = activation_report(session, group_by, filters)
    if export is None:
        return report
    return StreamingResponse(
        table_chunks(report.groups, report_columns(group_by), export),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="activation-{group_by}.csv"',
            "Content-Language": export.language,
        },
    )
