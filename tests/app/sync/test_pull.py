"""A bulk sync planned from the roster Sofia Plus publishes over HTTP, through the real app and
CLI: respx answers for the Sofia Plus host only; the app under test, the emulator's control
plane (httpx) and Google's client (httplib2) talk over real loopback HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr
from respx.patterns import M
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from app.cli.main import cli
from app.db.models import SyncRun
from app.staff.tokens import Scope
from tests.support.harness import Harness, HarnessFactory
from tests.support.roster_files import csv_bytes
from tests.support.roster_sync import KNOWN, enroll_known, row
from tests.support.staff_client import cli_environment, staff_client

SOFIA_HOST = "sofia.example"
ROSTER_URL = f"https://{SOFIA_HOST}/api/reportes/matriculas"
SOFIA_TOKEN = "sofia-roster-token-0a1b2c3d4e5f"
PULL = {"sofia_roster_url": ROSTER_URL, "sofia_roster_token": SecretStr(SOFIA_TOKEN)}
PEOPLE = KNOWN[:5]
COMPARED = ("scope", "status", "counts", "roster_rows", "roster_people", "bad_rows", "managed_in_scope",
            "suspensions", "refusal_code")  # fmt: skip


@pytest.fixture
def sofia() -> Iterator[respx.Route]:
    """The Sofia Plus endpoint, mocked; any other request passes through to the network."""
    with respx.mock(assert_all_called=False) as router:
        router.route(~M(host=SOFIA_HOST)).pass_through()
        yield router.get(url__startswith=ROSTER_URL, name="sofia")


def export() -> bytes:
    """The first person corrected, the last one gone, one newcomer; Windows-1252 with ';'."""
    rows = [row(PEOPLE[0], "ANA LUCÍA"), *(row(d) for d in PEOPLE[1:-1]), row("1033000111", "NUEVO")]
    return csv_bytes(rows, encoding="cp1252")


def roster_answer(body: bytes, exported: datetime) -> httpx.Response:
    return httpx.Response(
        200,
        content=body,
        headers={
            "Content-Type": "text/csv; charset=windows-1252",
            "Content-Disposition": 'attachment; filename="matriculas-9229.csv"',
            "Last-Modified": format_datetime(exported, usegmt=True),
        },
    )


def post_pull(
    harness: Harness, token: str, body: dict[str, Any], language: str | None = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if language is not None:
        headers["Accept-Language"] = language
    return httpx.post(harness.base_url + "v1/sync-runs/pull", json=body, headers=headers, timeout=60)


def runs(harness: Harness) -> int:
    with harness.services.sessions() as session:
        return int(session.scalar(select(func.count(SyncRun.id))) or 0)


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert SOFIA_TOKEN not in response.text
    return problem


# -- API -----------------------------------------------------------------------------------


def test_a_pulled_roster_is_planned_like_the_same_file_uploaded(
    make_harness: HarnessFactory, sofia: respx.Route
) -> None:
    harness = make_harness(**PULL)
    enroll_known(harness, PEOPLE)
    body = export()
    # After the records' events: an export older than what misena knows changes nothing.
    exported = harness.clock().astimezone(UTC).replace(microsecond=0)
    sofia.mock(return_value=roster_answer(body, exported))
    runner = staff_client(harness, Scope.SYNC_RUN)

    pulled = post_pull(harness, runner.token, {"scope": "centro:9229"})
    assert pulled.status_code == 201, pulled.text
    run = pulled.json()
    [call] = sofia.calls
    assert call.request.headers["Authorization"] == f"Bearer {SOFIA_TOKEN}"
    assert call.request.url.params["scope"] == "centro:9229"
    assert run["source_name"] == "matriculas-9229.csv"
    assert datetime.fromisoformat(run["exported_at"]) == exported
    assert run["created_by"] == "token:mesa-de-ayuda"
    assert run["counts"]["create"] == 1
    assert run["counts"]["update"] == 1
    assert run["counts"]["grace"] == 1, "left out of the export: suspended when the grace ends"
    assert run["roster_people"] == len(PEOPLE)
    assert runner.get(f"/v1/sync-runs/{run['id']}").json() == run, "stored as answered"

    uploaded = httpx.post(
        harness.base_url + "v1/sync-runs",
        params={"scope": "centro:9229", "source_name": "x.csv", "exported_at": exported.isoformat()},
        content=body,
        headers={"Authorization": f"Bearer {runner.token}", "Content-Type": "text/csv"},
        timeout=60,
    )
    assert uploaded.status_code == 201, uploaded.text
    assert {k: run[k] for k in COMPARED} == {k: uploaded.json()[k] for k in COMPARED}
    assert uploaded.json()["id"] != run["id"]


def test_without_a_configured_url_the_pull_is_refused(harness: Harness, sofia: respx.Route) -> None:
    runner = staff_client(harness, Scope.SYNC_RUN)
    problem = assert_problem(post_pull(harness, runner.token, {"scope": "all"}), 409)
    assert problem["detail"].startswith("No Sofia Plus roster URL is configured (MISENA_SOFIA_ROSTER_URL")
    assert problem["title"] == "Sofia Plus roster pull not configured"
    answer = post_pull(harness, runner.token, {"scope": "all"}, language="es-CO,es;q=0.9,en;q=0.5")
    spanish = assert_problem(answer, 409)
    assert answer.headers["content-language"] == "es"
    assert spanish["detail"].startswith("No hay una URL de Sofia Plus configurada para descargar el reporte")
    assert spanish["title"] == "La descarga del reporte de Sofia Plus no está configurada"
    assert not sofia.called
    assert runs(harness) == 0


def test_a_token_refused_upstream_is_a_502_naming_the_reason(
    make_harness: HarnessFactory, sofia: respx.Route
) -> None:
    harness = make_harness(**PULL)
    sofia.mock(return_value=httpx.Response(401, json={"error": "invalid_token"}))
    runner = staff_client(harness, Scope.SYNC_RUN)
    problem = assert_problem(post_pull(harness, runner.token, {"scope": "all"}, language="es"), 502)
    assert problem["detail"].startswith("token_refused: ")
    assert "HTTP 401" in problem["detail"]
    assert "rechazó el token" in problem["detail"]
    assert problem["title"] == "Sofia Plus no entregó el reporte"
    assert sofia.call_count == 1
    assert runs(harness) == 0


def test_an_export_over_the_limit_is_a_413(
    make_harness: HarnessFactory, sofia: respx.Route, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = make_harness(**PULL)
    monkeypatch.setattr("app.http.v1.sync.MAX_ROSTER_BYTES", 100)
    sofia.mock(return_value=roster_answer(export(), harness.clock()))
    runner = staff_client(harness, Scope.SYNC_RUN)
    problem = assert_problem(post_pull(harness, runner.token, {"scope": "all"}), 413)
    assert problem["detail"].startswith("too_large: ")
    assert runs(harness) == 0


def test_a_bad_scope_is_refused_before_anything_is_downloaded(
    make_harness: HarnessFactory, sofia: respx.Route
) -> None:
    harness = make_harness(**PULL)
    runner = staff_client(harness, Scope.SYNC_RUN)
    problem = assert_problem(post_pull(harness, runner.token, {"scope": "ficha:2758392"}), 422)
    assert problem["errors"] == [
        {"field": "scope", "message": "a scope is 'all', 'regional:<code>' or 'centro:<code>'"}
    ]
    spanish = assert_problem(post_pull(harness, runner.token, {"scope": "ficha:2758392"}, language="es"), 422)
    assert spanish["title"] == "Alcance no válido"
    assert spanish["errors"] == [
        {"field": "scope", "message": "el alcance es 'all', 'regional:<código>' o 'centro:<código>'"}
    ]
    assert not sofia.called


def test_pulling_needs_the_sync_run_scope(make_harness: HarnessFactory, sofia: respx.Route) -> None:
    harness = make_harness(**PULL)
    reader = staff_client(harness, Scope.ACCOUNTS_READ)
    assert_problem(post_pull(harness, reader.token, {"scope": "all"}), 403)
    assert not sofia.called
    assert runs(harness) == 0


# -- CLI -----------------------------------------------------------------------------------

Run = Callable[..., Result]


@pytest.fixture
def pulling(make_harness: HarnessFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    """The service configured to pull from Sofia Plus, with ``misena`` pointed at its API."""
    harness = make_harness(**PULL)
    with cli_environment(harness, monkeypatch):
        yield harness


def test_the_cli_pulls_and_plans(pulling: Harness, sofia: respx.Route) -> None:
    enroll_known(pulling, PEOPLE)
    sofia.mock(return_value=roster_answer(export(), pulling.clock()))
    result = CliRunner().invoke(cli, ["sync", "pull", "--scope", "centro:9229", "--json"])
    assert result.exit_code == 4, "the plan suspends one of five: refused until confirmed"
    assert sofia.calls.last.request.url.params["scope"] == "centro:9229"
    shown = json.loads(result.stdout)
    run = pulling.services.sync.show(shown["id"])
    assert run.source_name == shown["source_name"] == "matriculas-9229.csv"
    assert run.created_by == "token:cli", "the audit actor is the profile's token"
    assert run.counts["create"] == shown["counts"]["create"] == 1
    assert SOFIA_TOKEN not in result.output

    assert f"misena sync apply {run.id} --confirm 1" in result.stderr, "how to confirm it"

    table = CliRunner().invoke(cli, ["sync", "pull", "--scope", "centro:9229"])
    assert table.exit_code == 4, table.output
    assert "crear" in table.stdout
    assert "alcance centro:9229" in table.stdout


def test_the_cli_refuses_in_spanish_when_not_configured(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, sofia: respx.Route
) -> None:
    with cli_environment(harness, monkeypatch):
        result = CliRunner().invoke(cli, ["sync", "pull"])
    assert result.exit_code == 4, result.output
    assert "No hay una URL de Sofia Plus configurada" in result.stderr
    assert "MISENA_SOFIA_ROSTER_URL" in result.stderr
    assert "No Sofia Plus roster URL" not in result.output, "the terminal gets the Spanish text"
    assert not sofia.called
    assert runs(harness) == 0


def test_the_cli_tells_why_sofia_plus_failed(pulling: Harness, sofia: respx.Route) -> None:
    sofia.mock(
        return_value=httpx.Response(
            200, text="<html>Iniciar sesión</html>", headers={"Content-Type": "text/html"}
        )
    )
    result = CliRunner().invoke(cli, ["sync", "pull"])
    assert result.exit_code == 5, result.output
    assert "no un reporte CSV o XLSX" in result.stderr
    assert SOFIA_TOKEN not in result.output
    assert runs(pulling) == 0
