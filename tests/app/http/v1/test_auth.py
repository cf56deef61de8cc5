"""Every ``/v1`` operation behind its scope: 401 for no valid token (missing, malformed,
unknown, revoked), 403 for a token without the scope, through for the scope and for ``admin``.
The table is checked against the app's own routes, so a new operation cannot skip it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from app.staff.tokens import Scope, issue_token, revoke_token
from tests.support.harness import Harness, enrollment
from tests.support.staff_api import assert_problem, shared

__all__ = ["shared"]

MISSING = 999_999  # no person, job or hold has this id: admin's answer proves it got past auth


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    scope: Scope
    body: dict[str, Any] | None  # None: no body at all (the reason is optional)
    admin_status: int  # what a token allowed to call it gets on the (empty) shared database

    @property
    def path(self) -> str:
        return self.template.format(person_id=MISSING, job_id=MISSING, run_id=MISSING)

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


READ, WRITE, JOBS, ADMIN = Scope.ACCOUNTS_READ, Scope.ACCOUNTS_WRITE, Scope.JOBS_WRITE, Scope.ADMIN
SYNC = Scope.SYNC_RUN
REASON = {"reason": "Ticket 4711"}
OPERATIONS = [
    Operation("GET", "/v1/people", READ, None, 200),
    Operation("GET", "/v1/people/{person_id}", READ, None, 404),
    Operation("GET", "/v1/people/{person_id}/plan", READ, None, 404),
    Operation("GET", "/v1/people/{person_id}/export", READ, None, 422),  # no reason given
    Operation("POST", "/v1/people/{person_id}/reconcile", WRITE, None, 404),
    Operation("POST", "/v1/people/{person_id}/resend-credentials", WRITE, REASON, 404),
    Operation("POST", "/v1/people/{person_id}/suspend", WRITE, REASON, 404),
    Operation("POST", "/v1/people/{person_id}/unsuspend", WRITE, None, 404),
    Operation("POST", "/v1/people/{person_id}/exclude", WRITE, REASON, 404),
    Operation("POST", "/v1/people/{person_id}/include", WRITE, None, 404),
    Operation("GET", "/v1/jobs", READ, None, 200),
    Operation("GET", "/v1/jobs/{job_id}", READ, None, 404),
    Operation("POST", "/v1/jobs/retry-dead", JOBS, None, 200),
    Operation("POST", "/v1/jobs/{job_id}/retry", JOBS, None, 404),
    Operation("POST", "/v1/jobs/{job_id}/cancel", JOBS, None, 404),
    Operation("GET", "/v1/suspension-holds", READ, None, 200),
    Operation("POST", "/v1/suspension-holds/release", ADMIN, {"ids": [MISSING]}, 404),
    Operation("POST", "/v1/suspension-holds/discard", ADMIN, {"ids": [MISSING]}, 404),
    Operation("GET", "/v1/audit-events", ADMIN, None, 200),
    Operation("POST", "/v1/sync-runs", SYNC, None, 415),  # a roster must be text/csv or XLSX
    Operation("POST", "/v1/sync-runs/pull", SYNC, {"scope": "all"}, 409),  # no Sofia Plus URL set
    Operation("GET", "/v1/sync-runs", SYNC, None, 200),
    Operation("GET", "/v1/sync-runs/{run_id}", SYNC, None, 404),
    Operation("GET", "/v1/sync-runs/{run_id}/items", SYNC, None, 404),
    Operation("GET", "/v1/sync-runs/{run_id}/plan.csv", SYNC, None, 404),
    Operation("POST", "/v1/sync-runs/{run_id}/apply", SYNC, {}, 404),
    Operation("GET", "/v1/reports/activation", READ, None, 200),
]
each_operation = pytest.mark.parametrize("operation", OPERATIONS, ids=str)


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def call(
    http: httpx.Client, harness: Harness, operation: Operation, authorization: str | None
) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    url = harness.base_url + operation.path.lstrip("/")
    if operation.method == "GET":
        return http.get(url, headers=headers)
    return http.post(url, json=operation.body, headers=headers)


def token(harness: Harness, *scopes: Scope, name: str = "scope-test") -> tuple[int, str]:
    issued = issue_token(harness.services.sessions, name, scopes, created_by="test", clock=harness.clock)
    return issued.id, issued.token


def assert_unauthorized(response: httpx.Response) -> None:
    assert_problem(response, 401)
    assert response.headers.get("www-authenticate", "").lower().startswith("bearer")


@each_operation
def test_no_valid_token_is_401(http: httpx.Client, shared: Harness, operation: Operation) -> None:
    token_id, valid = token(shared, ADMIN)
    prefix = valid.split("_")[1]
    refused = [
        None,
        "Bearer",
        "Bearer not-a-token",
        "Bearer msn_",
        f"Bearer msn_{prefix}",
        f"Bearer msn_{prefix}_not-the-secret",
        f"Bearer msn_00000000_{valid.split('_', 2)[2]}",  # the secret under an unknown prefix
        f"Bearer {valid}x",
        f"Basic {valid}",
        valid,  # no scheme
    ]
    for authorization in refused:
        assert_unauthorized(call(http, shared, operation, authorization))

    assert call(http, shared, operation, f"Bearer {valid}").status_code == operation.admin_status
    assert revoke_token(shared.services.sessions, token_id, actor="test", clock=shared.clock)
    assert_unauthorized(call(http, shared, operation, f"Bearer {valid}"))


@each_operation
def test_the_required_scope_or_admin_gets_through_and_nothing_else(
    http: httpx.Client, shared: Harness, operation: Operation
) -> None:
    others = [s for s in Scope if s not in (operation.scope, ADMIN)]
    _, without = token(shared, *others)
    body = assert_problem(call(http, shared, operation, f"Bearer {without}"), 403)
    assert operation.scope.value in body.get("detail", "")
    _, exact = token(shared, operation.scope)
    _, admin = token(shared, ADMIN)
    for bearer in (exact, admin):
        response = call(http, shared, operation, f"Bearer {bearer}")
        assert response.status_code == operation.admin_status, response.text


def _v1_operations(harness: Harness) -> dict[tuple[str, str], dict[str, Any]]:
    document = httpx.get(harness.base_url + "openapi.json").json()
    return {
        (method.upper(), path): spec
        for path, methods in document["paths"].items()
        if path.startswith("/v1/") or path == "/v1"
        for method, spec in methods.items()
    }


def test_the_table_covers_every_v1_operation(shared: Harness) -> None:
    assert set(_v1_operations(shared)) == {(op.method, op.template) for op in OPERATIONS}


def test_the_openapi_document_names_the_scope_of_each_operation(shared: Harness) -> None:
    """install_v1 promises ``x-required-scope`` and a "Requires ..." note on each operation."""
    documented = _v1_operations(shared)
    missing = {
        str(op): documented[(op.method, op.template)].get("x-required-scope")
        for op in OPERATIONS
        if documented[(op.method, op.template)].get("x-required-scope") != op.scope.value
    }
    assert missing == {}, "operations whose documented scope is absent or wrong"
    for op in OPERATIONS:
        assert f"`{op.scope.value}`" in documented[(op.method, op.template)].get("description", "")


def test_the_webhook_refuses_a_bearer_token_without_a_signature(shared: Harness) -> None:
    _, admin = token(shared, ADMIN)
    response = httpx.post(
        shared.webhook_url,
        json=enrollment("77.777.777", document_type="CC", email_address=None),
        headers={"Authorization": f"Bearer {admin}", "webhook-id": "msg_bearer_only"},
    )
    assert_problem(response, 401)
    found = httpx.get(
        shared.base_url + "v1/people",
        params={"document": "77777777"},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert found.status_code == 200
    assert found.json()["items"] == [], "a refused webhook stores nothing"
