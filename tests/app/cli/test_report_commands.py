"""``misena report activation`` and the follow-up in ``misena accounts show``, against the real
service and the known population of tests/support/activation_population.py: the table in
Spanish, ``--json``, the files (Excel to stdout, plain CSV to ``-o``), exit codes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.activation_population import BY_FICHA, build_population
from tests.support.cli_runs import Run
from tests.support.harness import Harness, HarnessFactory
from tests.support.staff_client import cli_environment


@pytest.fixture
def population(
    make_harness: HarnessFactory, monkeypatch: pytest.MonkeyPatch, misena: Run
) -> Iterator[Harness]:
    harness = make_harness(reminder_after_days=7, reminder_max=1, reminder_interval_days=5)
    build_population(harness)
    with cli_environment(harness, monkeypatch):
        yield harness


def test_the_report_as_a_table_as_json_and_as_files(population: Harness, misena: Run, tmp_path: Path) -> None:
    table = misena("report", "activation", "--by", "ficha")
    assert table.exit_code == 0, table.output
    for expected in ("Activación por ficha: 3", "ficha", "entregado", "ingresaron", "mesa de ayuda",
                     "entrega fallida", "2758392", "2800001", "2900001", "total"):  # fmt: skip
        assert expected in table.stdout, f"{expected!r} missing"

    answer = json.loads(misena("report", "activation", "--by", "centro", "--regional", "11", "--json").stdout)
    assert [(g["code"], g["delivered"], g["flagged"]) for g in answer["groups"]] == [
        ("9229", 2, 1),
        ("9301", 1, 1),
    ]

    excel = misena("report", "activation", "--by", "ficha", "--format", "excel", "-o", "-")
    assert excel.exit_code == 0, excel.output
    assert excel.stdout_bytes.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(excel.stdout_bytes.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Ficha", "Personas", "Credenciales entregadas"]
    assert {row[0]: tuple(int(n) for n in row[1:]) for row in rows[1:]} == BY_FICHA

    target = tmp_path / "activacion.csv"
    written = misena("report", "activation", "--by", "ficha", "--format", "csv", "-o", str(target))
    assert written.exit_code == 0, written.output
    assert f"Informe escrito en {target}" in written.stderr
    rows = list(csv.reader(io.StringIO(target.read_text("utf-8"))))
    assert rows[0][:3] == ["Ficha", "People", "Credentials delivered"]
    assert len(rows) == 1 + len(BY_FICHA)


def test_a_bad_group_is_a_usage_error(population: Harness, misena: Run) -> None:
    wrong = misena("report", "activation", "--by", "barrio")
    assert wrong.exit_code == 2
    assert "--by" in wrong.output


def test_the_person_picture_shows_the_follow_up(population: Harness, misena: Run) -> None:
    shown = misena("accounts", "show", "1077000003")
    assert shown.exit_code == 0, shown.output
    for expected in ("Primer ingreso y seguimiento", "para la mesa de ayuda", "recordatorios enviados",
                     "recordatorio"):  # fmt: skip
        assert expected in shown.stdout, f"{expected!r} missing"
    signed = misena("accounts", "show", "1077000005")
    assert "ya ingresó" in signed.stdout
