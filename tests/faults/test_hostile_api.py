"""Hostile input to the IT staff API (``/v1``) on SQLite and PostgreSQL, through the production
server: JSON bodies, query strings and path parameters that can never be stored or compared
are a 4xx problem naming the field, and change nothing. On main each of these was a 500 on
PostgreSQL (NUL in a reason or a filter), or on both stores (an instant with no UTC form, a
page token holding an id no column can hold).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.db.models import AuditEvent, SyncRun
from app.staff.tokens import Scope, issue_token
from tests.support.hostile_requests import Served, field_names, hostile_service, hostile_stores
from tests.support.roster_files import csv_bytes, fake_rows

__all__ = ["hostile_service", "hostile_stores"]

NUL = "ab\x00c"


def admin_headers(served: Served) -> dict[str, str]:
    issued = issue_token(
        served.services.sessions,
        "hostile-tests",
        [Scope.ADMIN],
        created_by="test",
        clock=served.services.clock,
    )
    return {"Authorization": f"Bearer {issued.token}"}


def audit_count(served: Served) -> int:
    with served.services.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def assert_problem(response: httpx.Response, status: int, field: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in field_names(response), response.text
    assert "\x00" not in response.text, "the problem does not echo the input"


def page_token(before: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"v": 1, "before": before}).encode()).decode().rstrip("=")


BODIES = [
    ("/v1/people/1/suspend", {"reason": NUL}, "reason"),
    ("/v1/people/1/reconcile", {"reason": NUL}, "reason"),
    ("/v1/people/1/exclude", {"reason": NUL}, "reason"),
    ("/v1/people/1/unsuspend", {"reason": NUL}, "reason"),
    ("/v1/people/1/include", {"reason": NUL}, "reason"),
    ("/v1/people/1/resend-credentials", {"reason": NUL}, "reason"),
    ("/v1/jobs/retry-dead", {"reason": NUL}, "reason"),
    ("/v1/jobs/1/retry", {"reason": NUL}, "reason"),
    ("/v1/jobs/1/cancel", {"reason": NUL}, "reason"),
    ("/v1/suspension-holds/release", {"reason": NUL}, "reason"),
    ("/v1/suspension-holds/discard", {"ids": [1], "reason": "\x1b[31m"}, "reason"),
    ("/v1/people/1/suspend", {"reason": "Ticket \x07 4711"}, "reason"),
    ("/v1/sync-runs/pull", {"scope": NUL}, "scope"),
    ("/v1/sync-runs/1/apply", {"confirm": 10**30}, "confirm"),
]


@pytest.mark.parametrize(("path", "body", "field"), BODIES, ids=[f"{p}-{f}" for p, _, f in BODIES])
def test_a_body_string_that_cannot_be_stored_is_422_naming_it(
    hostile_service: Served, path: str, body: dict[str, Any], field: str
) -> None:
    headers = admin_headers(hostile_service)
    before = audit_count(hostile_service)
    assert_problem(hostile_service.client.post(path, json=body, headers=headers), 422, field)
    assert audit_count(hostile_service) == before, "nothing was done, so nothing was audited"


def test_a_multi_line_reason_is_a_reason(hostile_service: Served) -> None:
    """Line breaks and tabs are text, not control characters to refuse."""
    response = hostile_service.client.post(
        "/v1/jobs/retry-dead",
        json={"reason": "Ticket 4711\n\tverificado con Sofia"},
        headers=admin_headers(hostile_service),
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "raw",
    [
        b'{"reason": ' + b"[" * 1000 + b"]" * 1000 + b"}",
        b'{"reason": ' + b"9" * 5000 + b"}",
        b'{"reason": "\\ud800"}',
    ],
    ids=["nested-1000", "5000-digits", "lone-surrogate"],
)
def test_a_json_body_the_parser_cannot_hold_is_422(hostile_service: Served, raw: bytes) -> None:
    headers = {**admin_headers(hostile_service), "content-type": "application/json"}
    response = hostile_service.client.post("/v1/people/1/reconcile", content=raw, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


QUERIES = [
    ("/v1/people", {"document": "12\x003"}, "document"),
    ("/v1/people", {"email": NUL}, "email"),
    ("/v1/people", {"name": NUL}, "name"),
    ("/v1/people", {"state": NUL}, "state"),
    ("/v1/people", {"page_token": NUL}, "page_token"),
    ("/v1/jobs", {"kind": NUL}, "kind"),
    ("/v1/audit-events", {"actor": NUL}, "actor"),
    ("/v1/audit-events", {"action": NUL}, "action"),
    ("/v1/audit-events", {"since": "9999-12-31T23:00:00-05:00"}, "since"),
    ("/v1/audit-events", {"until": "0001-01-01T00:00:00+05:00"}, "until"),
    ("/v1/sync-runs/1/items", {"action": NUL}, "action"),
    ("/v1/reports/activation", {"ficha": NUL}, "ficha"),
    ("/v1/reports/activation", {"regional": "11'; --"}, "regional"),
]


@pytest.mark.parametrize(("path", "params", "field"), QUERIES, ids=[f"{p}-{f}" for p, _, f in QUERIES])
def test_a_query_string_that_cannot_be_compared_is_422_naming_it(
    hostile_service: Served, path: str, params: dict[str, str], field: str
) -> None:
    response = hostile_service.client.get(path, params=params, headers=admin_headers(hostile_service))
    assert_problem(response, 422, field)


@pytest.mark.parametrize("before", [2**63, 10**30, -(10**30), 0], ids=["2^63", "10^30", "-10^30", "zero"])
@pytest.mark.parametrize("path", ["/v1/people", "/v1/jobs", "/v1/audit-events", "/v1/sync-runs"])
def test_a_page_token_holding_an_impossible_id_is_400_naming_it(
    hostile_service: Served, path: str, before: int
) -> None:
    response = hostile_service.client.get(
        path, params={"page_token": page_token(before)}, headers=admin_headers(hostile_service)
    )
    assert_problem(response, 400, "page_token")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"source_name": "reporte\x00.csv"}, "source_name"),
        ({"scope": "centro:\x009229"}, "scope"),
        ({"exported_at": "9999-12-31T23:00:00-05:00"}, "exported_at"),
        ({"exported_at": "9999-12-30T00:00:00Z"}, "exported_at"),  # grace periods from it overflow
    ],
    ids=["source_name-NUL", "scope-NUL", "exported_at-no-utc-form", "exported_at-too-late"],
)
def test_a_roster_upload_with_unstorable_parameters_is_422_and_plans_nothing(
    hostile_service: Served, params: dict[str, str], field: str
) -> None:
    headers = {**admin_headers(hostile_service), "content-type": "text/csv"}
    roster = csv_bytes(fake_rows(3, seed=11))
    response = hostile_service.client.post("/v1/sync-runs", params=params, content=roster, headers=headers)
    assert_problem(response, 422, field)
    with hostile_service.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(SyncRun)) == 0
