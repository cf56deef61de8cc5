"""Bulk sync end to end: a roster export planned against misena's records and the emulator's
Directory, refused when unsafe, applied as ordinary jobs, resumable."""

from __future__ import annotations

import csv
import gc
import io
import json
import sys
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from app.cli.main import cli
from app.db.models import SyncItem
from app.errors import ConflictError
from app.http.problems import status_of
from app.staff.tokens import Scope
from app.sync.runs import SyncRuns
from tests.support.harness import Harness, HarnessFactory
from tests.support.roster_files import csv_bytes, fake_rows
from tests.support.roster_sync import KNOWN, enroll_known, roster, row
from tests.support.staff_api import assert_problem
from tests.support.staff_client import cli_environment, staff_client

OTHER = ("9501", "Centro Agroindustrial", "63", "Quindío")


def sync(harness: Harness) -> SyncRuns:
    return harness.services.sync


@pytest.fixture
def managed(harness: Harness) -> Harness:
    enroll_known(harness, KNOWN)
    return harness


def test_a_plan_names_every_action_and_changes_nothing(managed: Harness) -> None:
    rows = [row(d) for d in KNOWN[:19]]  # KNOWN[19] is gone from the export
    rows[0] = row(KNOWN[0], "ANA LUCÍA")  # a corrected name
    rows[1] = row(KNOWN[1], place=OTHER)  # moved to another regional
    rows += [row("1033000111", "NUEVO"), row("1033000222", "NUEVA")]  # new apprentices
    managed.emulator.clear_counters()
    run_id = sync(managed).plan(roster(*rows), scope="all", actor="test", source_name="reporte.csv")

    run = sync(managed).show(run_id)
    assert run.counts["create"] == 2
    assert run.counts["update"] == 1
    assert run.counts["move"] == 1
    assert run.counts["suspend"] == 0, "the one left out is inside the grace period"
    assert run.counts["grace"] == 1
    assert run.counts["unchanged"] == 17
    assert run.suspensions == 1, "what the safety check weighs: suspended now or when the grace ends"
    assert run.status == "planned", "1 suspension of 20 managed accounts is 5%: not above the limit"
    with managed.services.sessions() as session:
        items = list(session.scalars(select(SyncItem).where(SyncItem.run_id == run_id)))
    assert {action: sum(1 for i in items if i.action == action) for action in run.counts} == run.counts
    [grace] = [i for i in items if i.action == "grace"]
    assert (grace.person_key, grace.source) == (f"CC:{KNOWN[19]}", "absent")
    assert grace.detail.startswith("absent from the roster: in grace until ")
    assert grace.detail_es is not None
    assert grace.detail_es.startswith("ausente del reporte: en gracia hasta el ")
    calls = managed.emulator.counters()["calls"]
    assert set(calls) <= {"directory.users.list"}, "the plan reads, it never writes or gets one by one"
    assert run.directory_calls == sum(calls["directory.users.list"].values())
    assert managed.emulator.calls("directory.users.insert") == 0


def test_no_cyclic_garbage_collection_runs_while_a_plan_is_made_and_stored(managed: Harness) -> None:
    """A plan's objects (roster, snapshot, records, items) all live until it is stored: the
    collector would rescan them again and again to free nothing (3 s of CPU at 100,000
    people). Collections may run once the run is stored, never while it is being made."""
    during: list[str] = []

    def count(phase: str, info: dict[str, int]) -> None:
        frame = sys._getframe(1)
        while phase == "start" and frame is not None:
            if frame.f_code.co_qualname in {"SyncRuns._plan", "SyncRuns._store"}:
                during.append(frame.f_code.co_qualname)
                return
            frame = frame.f_back

    rows = [row(d) for d in KNOWN[1:]] + [row("1033000111", "NUEVO")]
    gc.callbacks.append(count)
    try:
        sync(managed).plan(roster(*rows), scope="all", actor="test", source_name="r.csv")
    finally:
        gc.callbacks.remove(count)
    assert during == []
    assert gc.isenabled()


def test_apply_creates_updates_and_ends_enrollments_through_the_queue(managed: Harness) -> None:
    rows = [row(d) for d in KNOWN[1:]] + [row("1033000111", "NUEVO")]
    rows[0] = row(KNOWN[1], "ANA LUCÍA")
    run_id = sync(managed).plan(roster(*rows), scope="all", actor="test", source_name="r.csv")
    assert sync(managed).show(run_id).status == "planned"
    result = sync(managed).apply(run_id, actor="test")
    assert result.remaining == 0
    managed.drain()
    created = managed.get_user("1033000111@misena.edu.co")
    assert created is not None
    assert created["name"]["givenName"] == "Nuevo"
    renamed = managed.get_user(f"{KNOWN[1]}@misena.edu.co")
    assert renamed is not None
    assert renamed["name"]["givenName"] == "Ana Lucía"
    gone = managed.person(f"CC:{KNOWN[0]}")
    assert gone.next_review_at is not None, "absent: the grace period runs, then the sweep suspends"
    managed.clock.advance(days=31)
    managed.sweep()
    managed.drain()
    suspended = managed.get_user(f"{KNOWN[0]}@misena.edu.co")
    assert suspended is not None
    assert suspended["suspended"] is True
    assert sync(managed).apply(run_id, actor="test").applied == 3, "re-applying does nothing new"
    assert managed.emulator.calls("directory.users.insert", 200) == len(KNOWN) + 1


def test_an_interrupted_apply_resumes_without_repeating_work(
    managed: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [row(d, "OTRO NOMBRE") for d in KNOWN]
    run_id = sync(managed).plan(roster(*rows), scope="all", actor="test", source_name="r.csv")
    monkeypatch.setattr("app.sync.runs.BATCH", 7)
    sync(managed)._apply_batch(run_id)  # the process dies after one batch
    with managed.services.sessions() as session:
        states = [i.state for i in session.scalars(select(SyncItem).where(SyncItem.run_id == run_id))]
    assert states.count("applied") == 7
    result = sync(managed).apply(run_id, actor="test")
    assert result.remaining == 0
    assert result.applied == len(KNOWN)
    managed.drain()
    assert managed.emulator.calls("directory.users.update") + managed.emulator.calls(
        "directory.users.patch"
    ) == len(KNOWN)


@pytest.mark.parametrize("delimiter", [";", ","])
@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_too_many_suspensions_is_refused_until_confirmed_with_the_count(
    managed: Harness, encoding: str, delimiter: str
) -> None:
    rows = [row(d) for d in KNOWN[:15]]  # 5 of 20 missing: 25%
    run_id = sync(managed).plan(
        roster(*rows, encoding=encoding, delimiter=delimiter), scope="all", actor="test", source_name="r.csv"
    )
    run = sync(managed).show(run_id)
    assert run.status == "refused"
    assert run.refusal_code == "too_many_suspensions"
    assert "suspendería 5 de 20" in (run.refusal_es or "")
    assert "would suspend 5 of 20" in (run.refusal_en or "")
    with pytest.raises(ConflictError) as refused:
        sync(managed).apply(run_id, actor="test")
    assert status_of(refused.value) == 409
    with pytest.raises(ConflictError):
        sync(managed).apply(run_id, actor="test", confirm=4)
    assert sync(managed).apply(run_id, actor="test", confirm=5).remaining == 0


def test_an_empty_roster_for_the_scope_is_refused(managed: Harness) -> None:
    run_id = sync(managed).plan(
        roster(row("1033000111", place=OTHER)), scope="centro:9229", actor="test", source_name="r.csv"
    )
    run = sync(managed).show(run_id)
    assert run.refusal_code == "empty"
    assert "ninguna persona" in (run.refusal_es or "")


def test_a_truncated_roster_is_refused(managed: Harness) -> None:
    data = csv_bytes([row(d) for d in KNOWN], encoding="utf-8", delimiter=";")
    cut = data[: data.rstrip(b"\r\n").rfind(b";", 0, len(data) - 40)]  # the last row cut mid-way
    run_id = sync(managed).plan(io.BytesIO(cut), scope="all", actor="test", source_name="r.csv")
    run = sync(managed).show(run_id)
    assert run.refusal_code == "truncated"
    assert run.bad_rows == 1


def test_a_scoped_plan_leaves_other_scopes_alone(managed: Harness) -> None:
    run_id = sync(managed).plan(
        roster(row("1033000111", place=OTHER)), scope="regional:63", actor="test", source_name="r.csv"
    )
    run = sync(managed).show(run_id)
    assert run.counts["create"] == 1
    assert run.counts["suspend"] == 0, "the twenty in regional 11 are outside the scope"


def test_the_api_plans_shows_exports_and_applies(managed: Harness) -> None:
    runner = staff_client(managed, Scope.SYNC_RUN)
    body = csv_bytes([row(d) for d in KNOWN] + [row("1033000111", "NUEVO")], encoding="utf-8")
    planned = httpx.post(
        managed.base_url + "v1/sync-runs",
        params={"scope": "all", "source_name": "reporte.csv"},
        content=body,
        headers={"Authorization": f"Bearer {runner.token}", "Content-Type": "text/csv"},
        timeout=60,
    )
    assert planned.status_code == 201, planned.text
    run = planned.json()
    assert run["counts"]["create"] == 1
    items = runner.get(f"/v1/sync-runs/{run['id']}/items", action="create").json()["items"]
    assert [i["person_key"] for i in items] == ["CC:1033000111"]
    assert (items[0]["first_names"], items[0]["last_names"]) == ("NUEVO", "PEÑA TORRES"), (
        "as the roster has them"
    )
    assert items[0]["document"] == "*******111"
    assert items[0]["reason"] == items[0]["detail"] == "create in /Aprendices/Distrito Capital"
    spanish = httpx.get(
        managed.base_url + f"v1/sync-runs/{run['id']}/items",
        params={"action": "create"},
        headers={"Authorization": f"Bearer {runner.token}", "Accept-Language": "es-CO"},
    ).json()["items"]
    assert spanish[0]["reason"] == "crear en /Aprendices/Distrito Capital"
    assert_problem(runner.get(f"/v1/sync-runs/{run['id']}/items", action="bogus"), 422, "action")
    exported = runner.get(f"/v1/sync-runs/{run['id']}/plan.csv", format="csv")
    assert exported.headers["content-type"].startswith("text/csv")
    assert not exported.content.startswith(BOM), "plain CSV: no byte-order mark"
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8"))))
    assert lines[0] == ["Names", "Surnames", "Document", "Action", "Reason", "Source", "State"]
    assert len(lines) == 1 + len(KNOWN) + 1
    assert lines[-1][:4] == ["NUEVO", "PEÑA TORRES", "*******111", "create"]
    applied = runner.post(f"/v1/sync-runs/{run['id']}/apply", {})
    assert applied.status_code == 200, applied.text
    assert applied.json()["status"] == "applied"
    reader = staff_client(managed, Scope.ACCOUNTS_READ)
    assert reader.post(f"/v1/sync-runs/{run['id']}/apply", {}).status_code == 403


def test_the_cli_plans_and_applies(
    make_harness: HarnessFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    harness = make_harness()
    enroll_known(harness, KNOWN[:3])
    path = tmp_path / "reporte.csv"
    path.write_bytes(csv_bytes([row(d) for d in KNOWN[:3]] + [row("1033000111")], encoding="cp1252"))
    runner = CliRunner()
    with cli_environment(harness, monkeypatch):
        planned = runner.invoke(cli, ["sync", "plan", str(path), "--json"])
        assert planned.exit_code == 0, planned.output
        assert '"create": 1' in planned.output
        with harness.services.sessions() as session:
            session.execute(update(SyncItem).values(detail=SyncItem.detail))  # the run is there
        run_id = int(planned.output.split('"id": ')[1].split(",")[0])
        applied = runner.invoke(cli, ["sync", "apply", str(run_id)])
        assert applied.exit_code == 0, applied.output
        shown = runner.invoke(cli, ["sync", "show", str(run_id), "--json"])
        assert '"status": "applied"' in shown.output
        out = tmp_path / "plan.csv"
        assert runner.invoke(cli, ["sync", "export", str(run_id), "-o", str(out)]).exit_code == 0
        assert "ANA MARÍA;PEÑA TORRES;*******111;crear;" in out.read_text("utf-8-sig")


def test_a_generated_roster_of_every_document_type_creates_every_account(harness: Harness) -> None:
    """Faker es_CO names, all six document types, instructors with empty enrollment columns,
    status words; Windows-1252 with ';'. The plan creates an account for each active person."""
    rows = fake_rows(40, seed=7)
    body = csv_bytes(rows, encoding="cp1252", delimiter=";")
    run_id = sync(harness).plan(io.BytesIO(body), scope="all", actor="test", source_name="r.csv")
    run = sync(harness).show(run_id)
    assert run.bad_rows == 0
    assert run.roster_people == len({(r["document_type"].upper(), r["document_number"]) for r in rows})
    kinds = {r["document_type"].upper() for r in rows}
    assert kinds == {"CC", "TI", "CE", "PEP", "PPT", "PA"}
    assert run.counts["create"] > 0
    assert run.counts["create"] + run.counts["unchanged"] == run.roster_people
    sync(harness).apply(run_id, actor="test")
    harness.drain()
    assert harness.emulator.calls("directory.users.insert", 200) == run.counts["create"]


BOM = "\ufeff".encode()


def test_the_export_opens_in_excel_with_spanish_names_and_masked_documents(managed: Harness) -> None:
    """The default export is what Excel on a Spanish Windows opens right: a UTF-8 byte-order
    mark, ``;`` between cells, Spanish headers, actions and reasons. Accented names survive the
    round trip as the roster gave them, and no document number appears whole."""
    rows = [row(d) for d in KNOWN[:19]] + [row("1033000111", "JOSÉ ÁNGEL")]
    rows[-1]["last_names"] = "MUÑOZ PEÑA"
    run_id = sync(managed).plan(
        roster(*rows, encoding="utf-8"), scope="all", actor="test", source_name="r.csv"
    )
    runner = staff_client(managed, Scope.SYNC_RUN)
    exported = runner.get(f"/v1/sync-runs/{run_id}/plan.csv")
    assert exported.status_code == 200, exported.text
    assert exported.content.startswith(BOM)
    assert exported.headers["content-language"] == "es"
    text = exported.content.decode("utf-8-sig")  # how Excel reads a file with the BOM
    table = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert table[0] == ["Nombres", "Apellidos", "Documento", "Acción", "Motivo", "Origen", "Estado"]
    by_document = {line[2]: line for line in table[1:]}
    new = by_document["*******111"]
    assert new[:5] == [
        "JOSÉ ÁNGEL",
        "MUÑOZ PEÑA",
        "*******111",
        "crear",
        "crear en /Aprendices/Distrito Capital",
    ]
    assert new[5:] == ["en el reporte", "pendiente"]
    gone = by_document[f"*****{KNOWN[19][-3:]}"]
    assert gone[3] == "en gracia"
    assert gone[4].startswith("ausente del reporte: en gracia hasta el ")
    assert gone[5] == "ausente del reporte"
    assert [line[3] for line in table[1:]].count("en gracia") == sync(managed).show(run_id).counts["grace"]
    for document in [*KNOWN, "1033000111"]:
        assert document.encode() not in exported.content, "the document is masked, never whole"


def _upload(harness: Harness, token: str, body: bytes, language: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    if language is not None:
        headers["Accept-Language"] = language
    return httpx.post(
        harness.base_url + "v1/sync-runs", params={"scope": "all"}, content=body, headers=headers, timeout=60
    )


def test_roster_errors_reach_it_staff_in_spanish(harness: Harness) -> None:
    """What the domain says about a roster (a bad row, an empty file) is worded once, in English,
    and reaches SENA's staff in Spanish from the catalogue when they ask for it."""
    runner = staff_client(harness, Scope.SYNC_RUN)
    rows = [row("1033000111"), row("1033000222", kind="XX")]
    body = csv_bytes(rows, encoding="utf-8")
    english = _upload(harness, runner.token, body, None)
    assert english.status_code == 201, english.text
    [error] = english.json()["roster_errors"]
    assert error["line"] == 3
    assert error["reason"].endswith("unknown document type (expected CC, TI, CE, PEP, PPT or PA)")
    spanish = _upload(harness, runner.token, body, "es-CO;q=0.9, en;q=0.1").json()
    [error] = spanish["roster_errors"]
    assert error["reason"].endswith("tipo de documento desconocido (se espera CC, TI, CE, PEP, PPT o PA)")
    shown = httpx.get(
        harness.base_url + f"v1/sync-runs/{spanish['id']}",
        headers={"Authorization": f"Bearer {runner.token}", "Accept-Language": "es"},
    ).json()
    assert shown["roster_errors"] == spanish["roster_errors"]
    assert "1033000222" not in json.dumps(shown), "a bad row's reason never carries its values"

    empty = assert_problem(_upload(harness, runner.token, b"", "es"), 422, "roster")
    assert empty["title"] == "No se puede leer el reporte"
    assert empty["detail"] == "el reporte está vacío"
    assert empty["errors"] == [{"field": "roster", "message": "el reporte está vacío"}]
    assert assert_problem(_upload(harness, runner.token, b"", None), 422, "roster")["detail"] == (
        "the roster is empty"
    )
