"""Every error of ``/v1`` is an RFC 9457 problem (application/problem+json with type, title,
status): 404 for what does not exist, 400 for a page_token the API did not issue, 422 naming
the field — without echoing what was sent. (409s: see the people, jobs and holds tests.)"""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from app.staff.tokens import Scope
from tests.support.harness import Harness
from tests.support.staff_api import api_client, assert_problem, shared

__all__ = ["shared"]

LISTS = ["/v1/people", "/v1/jobs", "/v1/suspension-holds", "/v1/audit-events"]


def _token(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


BAD_TOKENS = [
    "garbage",
    "!!!",
    _token({"before": 5}),
    _token({"v": 2, "before": 5}),
    _token({"v": 1, "before": "5"}),
    _token({"v": 1, "before": True}),
    _token({"v": 1}),
    _token([1, 2]),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
]


@pytest.mark.parametrize("path", LISTS)
def test_a_page_token_the_api_did_not_issue_is_400_naming_it(shared: Harness, path: str) -> None:
    admin = api_client(shared, Scope.ADMIN)
    for bad in BAD_TOKENS:
        body = assert_problem(admin.get(path, page_token=bad), 400, "page_token")
        assert bad not in json.dumps(body), "the problem does not echo the token"


def test_unknown_people_and_jobs_are_404(shared: Harness) -> None:
    admin = api_client(shared, Scope.ADMIN)
    body = assert_problem(admin.get("/v1/people/424242"), 404)
    assert "person" in body["detail"]
    for action in ("reconcile", "unsuspend", "include"):
        assert_problem(admin.post(f"/v1/people/424242/{action}"), 404)
    for action in ("suspend", "exclude", "resend-credentials"):
        assert_problem(admin.post(f"/v1/people/424242/{action}", {"reason": "Ticket 4711"}), 404)
    body = assert_problem(admin.get("/v1/jobs/424242"), 404)
    assert "job" in body["detail"]
    for action in ("retry", "cancel"):
        assert_problem(admin.post(f"/v1/jobs/424242/{action}"), 404)
    for decision in ("release", "discard"):
        assert_problem(admin.post(f"/v1/suspension-holds/{decision}", {"ids": [424242]}), 404)
    assert_problem(admin.get("/v1/nothing-here"), 404)


def test_invalid_input_is_422_naming_the_field_without_echoing_it(shared: Harness) -> None:
    admin = api_client(shared, Scope.ADMIN)
    document = "1098765432" * 5  # 50 characters, over the limit
    reason = "secreto-" + "x" * 500
    cases = [
        (admin.get("/v1/people", document=document), "document", document),
        (admin.get("/v1/people", ficha="27 58'--"), "ficha", "27 58'--"),
        (admin.get("/v1/people", limit=0), "limit", None),
        (admin.get("/v1/jobs", limit=201), "limit", None),
        (admin.get("/v1/jobs", state="finished"), "state", "finished"),
        (admin.get("/v1/people/0"), "person_id", None),
        (admin.get("/v1/jobs/abc"), "job_id", None),
        (admin.get("/v1/audit-events", since="yesterday"), "since", "yesterday"),
        (admin.post("/v1/people/1/suspend", {"reason": reason}), "reason", reason),
        (admin.post("/v1/people/1/reconcile", {"reason": 42}), "reason", None),
        (admin.post("/v1/suspension-holds/release", {"ids": ["uno"]}), "ids", "uno"),
    ]
    for response, field, sent in cases:
        body = assert_problem(response, 422)
        named = [error["field"] for error in body["errors"]]
        assert any(name.split(".")[-1] == field or field in name.split(".") for name in named), (
            f"{field} not among {named}"
        )
        if sent is not None:
            assert sent not in response.text, f"the problem echoes {field}"


def test_a_body_that_is_not_json_is_a_problem(shared: Harness) -> None:
    admin = api_client(shared, Scope.ADMIN)
    response = httpx.post(
        shared.base_url + "v1/people/1/suspend",
        content=b"reason=uso indebido",
        headers={"Authorization": f"Bearer {admin.token}", "Content-Type": "application/json"},
    )
    assert_problem(response, 422)
    method = httpx.delete(shared.base_url + "v1/people/1", headers={"Authorization": f"Bearer {admin.token}"})
    assert_problem(method, 405)


def test_a_state_outside_its_vocabulary_is_422_naming_the_filter(shared: Harness) -> None:
    """The state and kind filters offer exactly the stored vocabularies (:mod:`app.db.states`):
    a misspelt one is refused, naming the filter, instead of answering an empty page."""
    admin = api_client(shared, Scope.ADMIN)
    cases = [
        (admin.get("/v1/people", state="bogus"), "state"),
        (admin.get("/v1/people", state="Active"), "state"),
        (admin.get("/v1/jobs", state="bogus"), "state"),
        (admin.get("/v1/jobs", kind="bogus"), "kind"),
        (admin.get("/v1/suspension-holds", state="bogus"), "state"),
        (admin.get("/v1/sync-runs/1/items", state="bogus"), "state"),
    ]
    for response, field in cases:
        body = assert_problem(response, 422, field)
        assert "bogus" not in response.text, body
    assert admin.get("/v1/people", state="active").status_code == 200
    assert admin.get("/v1/jobs", kind="deliver_credentials").status_code == 200


def test_field_errors_answer_in_the_language_asked_for(shared: Harness) -> None:
    """Accept-Language: es (a regional tag, q-values) gets the title, detail and each field's
    message from the Spanish catalogue; English otherwise, and Content-Language says which."""
    admin = api_client(shared, Scope.ADMIN)

    def people(language: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {admin.token}"}
        if language is not None:
            headers["Accept-Language"] = language
        return httpx.get(shared.base_url + "v1/people", params={"limit": 0}, headers=headers)

    english = people(None)
    body = assert_problem(english, 422, "limit")
    assert english.headers["content-language"] == "en"
    assert body["title"] == "The request breaks the contract"
    assert body["errors"] == [{"field": "limit", "message": "Input should be greater than or equal to 1"}]
    for language in ("es", "es-CO", "en;q=0.3, es-CO;q=0.9"):
        spanish = people(language)
        body = assert_problem(spanish, 422, "limit")
        assert spanish.headers["content-language"] == "es"
        assert body["title"] == "La solicitud no cumple el contrato"
        assert body["detail"] == "Vea en errors los campos que debe corregir."
        assert body["errors"] == [{"field": "limit", "message": "Debe ser mayor o igual que 1"}]
    assert people("es;q=0.2, en").headers["content-language"] == "en"
    unknown = httpx.get(
        shared.base_url + "v1/people/424242",
        headers={"Authorization": f"Bearer {admin.token}", "Accept-Language": "es"},
    )
    assert assert_problem(unknown, 404)["detail"] == "No hay ninguna persona con ese id."
    assert assert_problem(unknown, 404)["title"] == "No encontrado"
