"""``POST /webhooks/sofia-plus``: every way a request can be wrong gets its 4xx, in
problem+json, and changes nothing; a good one is stored with its job before the 202."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from sqlalchemy import event, func, select

from app.db.models import Job, WebhookEvent
from tests.support.harness import ROTATED_SECRET, Harness, enrollment


def count(harness: Harness, model: type) -> int:
    with harness.services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def raw_post(harness: Harness, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(harness.webhook_url, content=body, headers=headers, timeout=10)


def signed_headers(harness: Harness, body: str) -> dict[str, str]:
    from datetime import UTC, datetime

    from standardwebhooks.webhooks import Webhook

    from tests.support.harness import SECRET

    now = int(time.time())
    signature = Webhook(SECRET).sign("msg_1", datetime.fromtimestamp(now, tz=UTC), body)
    return {"content-type": "application/json", "webhook-id": "msg_1", "webhook-timestamp": str(now),
            "webhook-signature": signature}  # fmt: skip


def test_accepted_event_and_job_are_stored_together(harness: Harness) -> None:
    response = harness.post(enrollment())
    assert response.status_code == 202
    assert response.json()["duplicate"] is False
    assert count(harness, WebhookEvent) == 1
    assert count(harness, Job) == 1


def test_repeated_webhook_id_is_acknowledged_and_changes_nothing(harness: Harness) -> None:
    first = harness.post(enrollment(), webhook_id="msg_same")
    again = harness.post(enrollment(), webhook_id="msg_same")
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["duplicate"] is True
    assert count(harness, WebhookEvent) == 1
    assert count(harness, Job) == 1


def test_a_new_person_costs_four_statements(harness: Harness) -> None:
    """The person looked up once (key and alias together), inserted, the event inserted (its
    id checked by the insert itself), the reconcile queued: no separate duplicate read."""
    harness.post(enrollment("1.000.000.001"))  # the schema gate's check and pool warm-up
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.startswith("BEGIN"):
            statements.append(" ".join(statement.split()[:3]))

    event.listen(harness.services.engine, "before_cursor_execute", record)
    try:
        response = harness.post(enrollment("1.000.000.002"), webhook_id="msg_counted")
    finally:
        event.remove(harness.services.engine, "before_cursor_execute", record)
    assert response.status_code == 202
    assert len(statements) == 4, statements
    assert [s.split()[0] for s in statements] == ["SELECT", "INSERT", "INSERT", "INSERT"]
    assert "webhook_events" not in statements[0]


def test_a_rotated_secret_is_accepted(harness: Harness) -> None:
    assert harness.post(enrollment(), secret=ROTATED_SECRET).status_code == 202


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(
            lambda h: {k: v for k, v in h.items() if k != "webhook-signature"},
            id="missing-signature",
        ),
        pytest.param(lambda h: {k: v for k, v in h.items() if k != "webhook-id"}, id="missing-id"),
        pytest.param(lambda h: {**h, "webhook-signature": "v1"}, id="no-comma"),
        pytest.param(lambda h: {**h, "webhook-signature": "v1,%%%not-base64%%%"}, id="bad-base64"),
        pytest.param(lambda h: {**h, "webhook-signature": "v1,AAAA"}, id="wrong-signature"),
        pytest.param(
            lambda h: {**h, "webhook-signature": "v2," + h["webhook-signature"][3:]},
            id="wrong-version",
        ),
        pytest.param(lambda h: {**h, "webhook-timestamp": "yesterday"}, id="bad-timestamp"),
        pytest.param(lambda h: {**h, "webhook-timestamp": str(int(time.time()) - 600)}, id="stale"),
        pytest.param(lambda h: {**h, "webhook-timestamp": str(int(time.time()) + 600)}, id="future"),
    ],
)
def test_bad_signatures_are_401_and_store_nothing(harness: Harness, mangle: object) -> None:
    body = json.dumps(enrollment())
    headers = mangle(signed_headers(harness, body))  # type: ignore[operator]
    response = raw_post(harness, body.encode(), headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert count(harness, WebhookEvent) == 0


def test_a_body_over_256_kib_is_413(harness: Harness) -> None:
    event = enrollment()
    event["padding"] = "x" * (256 * 1024)
    body = json.dumps(event)
    response = raw_post(harness, body.encode(), signed_headers(harness, body))
    assert response.status_code == 413
    assert count(harness, WebhookEvent) == 0


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("text/plain", json.dumps({"a": 1})), ("application/json", "{not json")],
)
def test_not_json_is_415(harness: Harness, content_type: str, body: str) -> None:
    headers = {**signed_headers(harness, body), "content-type": content_type}
    response = raw_post(harness, body.encode(), headers)
    assert response.status_code == 415
    assert count(harness, WebhookEvent) == 0


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("data", "person", "document_number"), "--..--", "data.person.document_number"),
        (("data", "person", "document_type"), "XX", "data.person.document_type"),
        (("data", "enrollment", "status"), "GRADUADO", "data.enrollment.status"),
        (("occurred_at",), "2026-01-20T08:15:00", "occurred_at"),
        (("data", "person", "first_names"), "   ", "data.person.first_names"),
    ],
)
def test_contract_violations_are_422_naming_the_field(
    harness: Harness, path: tuple[str, ...], value: str, field: str
) -> None:
    event = enrollment()
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    response = harness.post(event)
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [error["field"] for error in problem["errors"]]
    assert "1098765432" not in response.text
    assert count(harness, WebhookEvent) == 0


def test_unknown_type_is_stored_and_acknowledged_but_not_acted_on(harness: Harness) -> None:
    response = harness.post({"type": "ficha.created", "occurred_at": "2026-01-20T08:15:00-05:00", "data": {}})
    assert response.status_code == 202
    assert count(harness, WebhookEvent) == 1
    assert count(harness, Job) == 0


def test_health_probes(harness: Harness) -> None:
    assert httpx.get(harness.base_url + "livez").json() == {"status": "ok"}  # no worker here
    ready = httpx.get(harness.base_url + "readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"
