"""``GET /v1/people/{id}/plan`` and ``misena accounts explain``: the account wanted, Google's
account now and the calls a reconcile would make, with no write in Google; the calls shown are
those the reconcile then makes (the emulator's counters), and the CLI shows them in Spanish."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from app.staff.tokens import Scope
from tests.support.events import person
from tests.support.google import google_service
from tests.support.harness import Harness
from tests.support.staff_api import api_client, assert_problem, enroll, person_id
from tests.support.staff_client import staff_cli

MAJO = "TI:1098765432"
MAJO_ACCOUNT = "1098765432@misena.edu.co"

__all__ = ["staff_cli"]


def _rename_in_google(harness: Harness) -> None:
    admin = google_service(harness.emulator_server, harness.key_info, "admin", "directory_v1")
    body = {"name": {"givenName": "Otra", "familyName": "Peña de la Torre"}}
    admin.users().patch(userKey=MAJO_ACCOUNT, body=body).execute()


def test_the_plan_shows_the_drift_and_the_reconcile_makes_exactly_its_calls(harness: Harness) -> None:
    enroll(harness, person())
    majo = person_id(harness, MAJO)
    _rename_in_google(harness)
    reader = api_client(harness, Scope.ACCOUNTS_READ)
    harness.emulator.clear_counters()
    response = reader.get(f"/v1/people/{majo}/plan")
    assert response.status_code == 200, response.text
    plan = response.json()
    assert harness.google_calls() == Counter({"directory.users.get": 1}), "explaining writes nothing"
    assert plan["outcome"] == "account"
    assert plan["desired"]["given_name"] == "María José"
    assert plan["desired"]["groups"] == ["ficha-2758392@misena.edu.co"]
    assert plan["google_account"]["name"]["given_name"] == "Otra"
    assert [(c["method"], c["key"]) for c in plan["reads"]] == [("users.get", plan["google_account"]["id"])]
    update = plan["calls"][1]
    assert (update["api"], update["method"]) == ("directory", "users.update")
    assert update["changes"]["name"]["given_name"] == "María José"

    harness.emulator.clear_counters()
    harness.services.reconciler.reconcile(majo)
    assert harness.google_calls() == Counter(f"{c['api']}.{c['method']}" for c in plan["calls"])


def test_the_plan_needs_accounts_read_and_a_known_person(harness: Harness) -> None:
    enroll(harness, person())
    majo = person_id(harness, MAJO)
    assert_problem(api_client(harness, Scope.JOBS_WRITE).get(f"/v1/people/{majo}/plan"), 403)
    assert_problem(api_client(harness, Scope.ACCOUNTS_READ).get("/v1/people/424242/plan"), 404)
    assert_problem(api_client(harness, Scope.ACCOUNTS_READ).get("/v1/people/0/plan"), 422, "person_id")


def test_accounts_explain_in_spanish_and_as_json(harness: Harness, staff_cli: Any) -> None:
    enroll(harness, person())
    _rename_in_google(harness)
    shown = staff_cli("accounts", "explain", "1098765432")
    assert shown.exit_code == 0, shown.output
    assert "la reconciliación haría estas llamadas" in shown.stdout
    assert "Cuenta deseada" in shown.stdout
    assert "users.update" in shown.stdout
    as_json = staff_cli("accounts", "explain", "TI:1098765432", "--json")
    assert as_json.exit_code == 0, as_json.output
    assert [c["method"] for c in json.loads(as_json.stdout)["calls"]] == ["users.get", "users.update"]
    missing = staff_cli("accounts", "explain", "--id", "424242")
    assert missing.exit_code == 3, missing.output
    account = harness.get_user(MAJO_ACCOUNT)
    assert account is not None
    assert account["name"]["givenName"] == "Otra", "nothing applied"
