"""``misena sync`` against the real service: a roster uploaded and planned by the API, a refused
plan exiting 4 with the exact command that confirms it (and no progress drawn for an apply that
never started), the confirmed apply, and the export to a file or to stdout."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sofia_sync.normalize import mask_document
from tests.support.cli_runs import Run, refused_with
from tests.support.harness import Harness
from tests.support.roster_files import csv_bytes
from tests.support.roster_sync import KNOWN, enroll_known, row
from tests.support.staff_client import cli_environment

STAYING, LEAVING = KNOWN[:15], KNOWN[15:]  # five of twenty gone from the export: 25 % > 5 %


@pytest.fixture
def managed(harness: Harness, monkeypatch: pytest.MonkeyPatch, misena: Run) -> Iterator[Harness]:
    """Twenty managed apprentices, and ``misena`` pointed at the service's API."""
    enroll_known(harness, KNOWN)
    with cli_environment(harness, monkeypatch):
        yield harness


def test_a_refused_plan_says_how_to_confirm_and_the_confirmed_one_applies(
    managed: Harness, misena: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roster = tmp_path / "reporte.csv"
    roster.write_bytes(csv_bytes([row(d) for d in STAYING], encoding="cp1252", delimiter=";"))

    planned = misena("sync", "plan", str(roster), "--json")
    run = json.loads(planned.stdout)
    confirm = f"misena sync apply {run['id']} --confirm {len(LEAVING)}"
    line = refused_with(planned, 4)
    assert line.startswith(f"plan {run['id']} rechazado: ")
    assert line.endswith(f"confirme sus {len(LEAVING)} suspensiones: {confirm}")
    assert (run["status"], run["suspensions"], run["source_name"]) == ("refused", 5, "reporte.csv")
    assert run["created_by"] == "token:cli"

    table = misena("sync", "show", str(run["id"]))
    assert table.exit_code == 0, table.output
    assert "suspender" in table.stdout
    assert "plan rechazado" in table.stdout, "the state by its Spanish name"
    assert confirm in table.stderr

    unconfirmed = misena("sync", "apply", str(run["id"]))
    assert confirm in refused_with(unconfirmed, 4), "one line: no progress for work that never started"
    assert unconfirmed.stdout == ""
    wrong = misena("sync", "apply", str(run["id"]), "--confirm", "4")
    assert refused_with(wrong, 4).startswith("No se puede (no se cambió nada): "), "the API's 409"
    assert managed.services.sync.show(run["id"]).status == "refused", "nothing was applied"

    applied = misena("sync", "apply", str(run["id"]), "--confirm", str(len(LEAVING)), "--json")
    assert applied.exit_code == 0, applied.output
    assert json.loads(applied.stdout)["status"] == "applied"
    assert managed.services.sync.show(run["id"]).confirmed_by == "token:cli"

    exported = misena("sync", "export", str(run["id"]), "-o", "-")
    assert exported.exit_code == 0, exported.output
    assert exported.stdout_bytes.startswith(b"\xef\xbb\xbf"), "Excel's export: UTF-8 with a BOM"
    rows = list(csv.DictReader(io.StringIO(exported.stdout_bytes.decode("utf-8-sig")), delimiter=";"))
    leaving = {r["Documento"] for r in rows if r["Acción"] in {"suspender", "en gracia"}}
    assert leaving == {mask_document(d) for d in LEAVING}, "the masked documents, never whole"
    plain = misena("sync", "export", str(run["id"]), "-o", "-", "--format", "csv")
    assert plain.exit_code == 0, plain.output
    rows = list(csv.DictReader(io.StringIO(plain.stdout)))
    assert [r["Action"] for r in rows].count("grace") == len(LEAVING), "absent: suspended after their grace"
    monkeypatch.chdir(tmp_path)
    assert not Path("-").exists(), "`-` is stdout, not a file"
    named = misena("sync", "export", str(run["id"]))
    assert named.exit_code == 0, named.output
    assert (tmp_path / f"sync-{run['id']}.csv").read_bytes() == exported.stdout_bytes, "the service's name"
    chosen = misena("sync", "export", str(run["id"]), "-o", "plan.csv")
    assert "Plan escrito en plan.csv" in chosen.stderr
    assert (tmp_path / "plan.csv").read_bytes() == exported.stdout_bytes

    listed = misena("sync", "list")
    assert listed.exit_code == 0, listed.output
    assert "plan aplicado" in listed.stdout
    assert "reporte.csv" in listed.stdout


def test_a_roster_the_service_cannot_read_is_bad_input(managed: Harness, misena: Run, tmp_path: Path) -> None:
    roster = tmp_path / "reporte.csv"
    roster.write_bytes(b"\x00\x01 no es un reporte")
    assert refused_with(misena("sync", "plan", str(roster)), 2).startswith("Entrada inválida: ")
    assert refused_with(misena("sync", "plan", str(tmp_path)), 2).startswith("Entrada inválida: "), "a folder"
