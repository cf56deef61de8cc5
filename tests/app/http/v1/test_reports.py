"""``GET /v1/reports/activation`` on a known population (tests/support/activation_population.py):
the counts per ficha, centro and regional, the filters, the Excel and plain CSV files, one
query whatever the number of groups, and a 422 naming ``group_by``."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import event

from app.staff.tokens import Scope
from tests.support.activation_population import BY_FICHA, build_population
from tests.support.harness import Harness, HarnessFactory
from tests.support.staff_api import api_client, assert_problem

COUNTS = ("people", "delivered", "signed_in", "pending", "reminded", "flagged", "delivery_failed")


@pytest.fixture
def harness(make_harness: HarnessFactory) -> Harness:
    made = make_harness(reminder_after_days=7, reminder_max=1, reminder_interval_days=5)
    build_population(made)
    return made


def counts(group: dict[str, object]) -> tuple[object, ...]:
    return tuple(group[name] for name in COUNTS)


def test_counts_per_ficha_centro_and_regional(harness: Harness) -> None:
    reader = api_client(harness, Scope.ACCOUNTS_READ)

    by_ficha = reader.get("/v1/reports/activation", group_by="ficha")
    assert by_ficha.status_code == 200, by_ficha.text
    assert {g["code"]: counts(g) for g in by_ficha.json()["groups"]} == BY_FICHA
    assert counts(by_ficha.json()["total"]) == (6, 4, 2, 2, 3, 2, 1)

    by_centro = reader.get("/v1/reports/activation", group_by="centro").json()["groups"]
    assert [(g["code"], g["name"]) for g in by_centro] == [
        ("9229", "Centro de Servicios Financieros"),
        ("9301", "Centro de Gestión Industrial"),
        ("9501", "Centro de Comercio"),
    ]
    by_regional = reader.get("/v1/reports/activation").json()
    assert by_regional["group_by"] == "regional"
    assert {g["code"]: counts(g) for g in by_regional["groups"]} == {
        "05": (2, 1, 1, 0, 1, 0, 0),
        "11": (4, 3, 1, 2, 2, 2, 1),
    }
    only = reader.get("/v1/reports/activation", group_by="ficha", regional="11", centro="9301").json()
    assert [g["code"] for g in only["groups"]] == ["2800001"]


def test_the_report_is_one_query(harness: Harness) -> None:
    statements: list[str] = []
    engine = harness.services.sessions.kw["bind"]

    def seen(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        answer = api_client(harness, Scope.ACCOUNTS_READ).get("/v1/reports/activation", group_by="ficha")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert answer.status_code == 200
    grouped = [s for s in statements if "GROUP BY people.ficha" in s]
    assert len(grouped) == 1, "one GROUP BY for every group"
    assert not [s for s in statements if "credential_deliveries" in s and s not in grouped]


def test_excel_and_plain_csv_files(harness: Harness) -> None:
    reader = api_client(harness, Scope.ACCOUNTS_READ)

    excel = reader.get("/v1/reports/activation", group_by="ficha", format="excel")
    assert excel.status_code == 200, excel.text
    assert excel.content.startswith("\ufeff".encode()), "Excel's file: UTF-8 with a byte-order mark"
    assert excel.headers["content-language"] == "es"
    rows = list(csv.reader(io.StringIO(excel.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Ficha", "Personas", "Credenciales entregadas", "Ingresaron", "Pendientes",
                       "Con recordatorio", "Para la mesa de ayuda", "Entrega fallida"]  # fmt: skip
    assert {row[0]: tuple(int(n) for n in row[1:]) for row in rows[1:]} == BY_FICHA

    plain = reader.get("/v1/reports/activation", group_by="centro", format="csv")
    assert not plain.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(plain.content.decode("utf-8"))))
    assert rows[0][:2] == ["Centro", "Name"]
    assert rows[0][2:] == ["People", "Credentials delivered", "Signed in", "Pending", "Reminded",
                           "Flagged for the help desk", "Delivery failed"]  # fmt: skip
    assert rows[1][:2] == ["9229", "Centro de Servicios Financieros"]


def test_a_bad_group_is_a_422_naming_it(harness: Harness) -> None:
    reader = api_client(harness, Scope.ACCOUNTS_READ)
    assert_problem(reader.get("/v1/reports/activation", group_by="barrio"), 422, "group_by")
    assert_problem(reader.get("/v1/reports/activation", format="pdf"), 422, "format")
