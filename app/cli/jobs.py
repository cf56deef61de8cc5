"""``misena jobs``: the worker's job queue at a terminal — list, the last error, retry, cancel.

A client of ``/v1/jobs``: retrying and cancelling are the service's, audited under the profile's
token, and ``--json`` prints the API's ``JobOut``. Apart from ``misena accounts`` because a job
is named by its own id, not by a person.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from app.cli.api import api, staff_group
from app.cli.plumbing import (
    MAX_ID,
    Json,
    Limit,
    PageToken,
    Reason,
    checked_reason,
    usage_error,
)
from app.cli.rendering import (
    JOB_KINDS,
    JOB_STATES,
    grid_table,
    jobs_table,
    label,
    out_console,
    print_json,
    print_more,
    state_cell,
    text_cell,
)
from app.db.states import JobKind, JobState
from app.i18n import cli_gettext as _
from app.jobs.schemas import JobOut

jobs_cli = staff_group(_("The worker's job queue: list, see the last error, retry, cancel."))


JobIdArgument = Annotated[
    int, typer.Argument(min=1, max=MAX_ID, metavar="ID", help=_("The job's id."), show_default=False)
]
NO_JOB = _("no job with that id")


@jobs_cli.command("list", help=_("List the jobs, newest first."))
def jobs_list(
    state: Annotated[
        JobState | None, typer.Option(help=_("Only those in this state."), show_default=False)
    ] = None,
    kind: Annotated[
        JobKind | None, typer.Option(help=_("Only those of this kind."), show_default=False)
    ] = None,
    person_id: Annotated[
        int | None, typer.Option(min=1, max=MAX_ID, help=_("Only this person's (id)."), show_default=False)
    ] = None,
    limit: Limit = 50,
    page_token: PageToken = None,
    as_json: Json = False,
) -> None:
    params = {"state": state.value if state else None, "kind": kind.value if kind else None,
              "person_id": person_id, "limit": limit, "page_token": page_token}  # fmt: skip
    page = api().get("/v1/jobs", params)
    if as_json:
        print_json(page)
        return
    jobs_table(out_console(), _("Jobs"), [JobOut.model_validate(item) for item in page["items"]])
    print_more(page.get("next_page_token"))


def _job_cell(field: str, value: object) -> str:
    if field == "state":
        return state_cell(str(value), JOB_STATES)
    if field == "kind":
        return text_cell(JOB_KINDS.get(str(value), value))
    return text_cell(value)


def _print_job(console: Console, job: JobOut) -> None:
    rows = [(label(k), _job_cell(k, v)) for k, v in job.model_dump().items()]
    console.print(grid_table(_("Job {id}").format(id=job.id), rows))


@jobs_cli.command("show", help=_("One job and its last error."))
def jobs_show(job_id: JobIdArgument, as_json: Json = False) -> None:
    job = api().get(f"/v1/jobs/{job_id}", not_found=NO_JOB)
    if as_json:
        print_json(job)
        return
    _print_job(out_console(), JobOut.model_validate(job))


@jobs_cli.command("retry", help=_("Retry a dead or cancelled job, or with --dead every dead one."))
def jobs_retry(
    job_id: Annotated[
        int | None,
        typer.Argument(
            min=1, max=MAX_ID, metavar="ID", help=_("Id of the dead or cancelled job."), show_default=False
        ),
    ] = None,
    dead: Annotated[bool, typer.Option("--dead", help=_("Every dead job."))] = False,
    reason: Reason = None,
    as_json: Json = False,
) -> None:
    if (job_id is None) == (not dead):
        raise usage_error(_("give the job's id or --dead (one of the two)"))
    body = {"reason": checked_reason(reason)}
    client = api()
    if job_id is None:
        counted = client.post("/v1/jobs/retry-dead", body)
        if as_json:
            print_json(counted)
        else:
            out_console().print(
                "[green]✔[/green] " + _("{n} dead jobs pending again").format(n=counted["count"])
            )
        return
    answer = client.post(f"/v1/jobs/{job_id}/retry", body, not_found=NO_JOB)
    if as_json:
        print_json(answer)
        return
    job = JobOut.model_validate(answer)
    if job.state == JobState.PENDING:
        out_console().print("[green]✔[/green] " + _("job {id} pending again").format(id=job.id))
    else:
        out_console().print(
            "[yellow]"
            + _(
                "job {id} closed ({state}): the person already had a pending {kind}, "
                "brought forward to now, which will do the work"
            ).format(
                id=job.id,
                state=JOB_STATES.get(job.state, job.state),
                kind=escape(JOB_KINDS.get(job.kind, job.kind)),
            )
            + "[/yellow]"
        )


@jobs_cli.command("cancel", help=_("Cancel a pending job."))
def jobs_cancel(job_id: JobIdArgument, reason: Reason = None, as_json: Json = False) -> None:
    answer = api().post(f"/v1/jobs/{job_id}/cancel", {"reason": checked_reason(reason)}, not_found=NO_JOB)
    if as_json:
        print_json(answer)
        return
    out_console().print("[green]✔[/green] " + _("job {id} cancelled").format(id=answer["id"]))
