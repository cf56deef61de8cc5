"""Nothing the IT staff API answers, audits or logs holds a password; no log line holds a full
document number or a personal email. Every operation is called (successes and refusals)
while the service logs at DEBUG, the passwords are taken from the credentials emails (and
from a spy on the generator), and then everything is searched for them."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog
from pydantic import SecretStr

import app.accounts.reconcile
import app.credentials.delivery
from app.credentials.passwords import generate_password
from app.logging_setup import configure_logging
from app.staff.tokens import Scope
from tests.support.events import person
from tests.support.harness import SECRET, Harness
from tests.support.log_leaks import lines_naming
from tests.support.mailboxes import emailed_password
from tests.support.staff_api import (
    INVALID_INSERT,
    PooledStaffClient,
    api_client,
    apprentice,
    audit_items,
    enroll,
    person_id,
)
from tests.support.staff_client import StaffClient

MAJO_DOCUMENT, MAJO_EMAIL, MAJO_ACCOUNT = "1098765432", "majo.pena@example.com", "1098765432@misena.edu.co"
CARLOS_DOCUMENT, CARLOS_EMAIL = "52123456", "carlos.ramirez@example.com"
CARLOS = apprentice("52.123.456", CARLOS_EMAIL, "CARLOS", "RAMIREZ GOMEZ")


class RecordingClient(PooledStaffClient):
    """Keeps every response it receives."""

    responses: list[httpx.Response]

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self._keep(super().get(path, **params))

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self._keep(super().post(path, body))

    def _keep(self, response: httpx.Response) -> httpx.Response:
        self.responses.append(response)
        return response


def recording(harness: Harness, *scopes: Scope, name: str, into: list[httpx.Response]) -> RecordingClient:
    client = RecordingClient(harness, api_client(harness, *scopes, name=name).token)
    client.responses = into
    return client


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """The service's logs (structlog and the standard library) at DEBUG, then as they were."""
    stream = io.StringIO()
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("DEBUG", stream=stream)
    try:
        yield stream
    finally:
        structlog.configure(**saved)
        root.handlers[:] = handlers
        root.setLevel(level)


@pytest.fixture
def generated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password generated (the real generator still runs), as test_no_secret_leaks."""
    seen: list[str] = []

    def spy() -> SecretStr:
        password = generate_password()
        seen.append(password.get_secret_value())
        return password

    monkeypatch.setattr(app.accounts.reconcile, "generate_password", spy)
    monkeypatch.setattr(app.credentials.delivery, "generate_password", spy)
    return seen


def every_operation(harness: Harness, staff: StaffClient, majo: int, carlos: int) -> None:
    """Each /v1 operation at least once, with successes, live reads and refusals."""
    for query in (
        {"document": MAJO_DOCUMENT},
        {"email": MAJO_EMAIL},
        {"name": "Torre"},
        {"ficha": "2758392"},
        {"state": "active"},
        {"limit": 1},
        {"page_token": "garbage"},
    ):
        staff.get("/v1/people", **query)
    staff.get(f"/v1/people/{majo}", live="true")
    staff.post(f"/v1/people/{majo}/reconcile", {"reason": "Ticket 4711"})
    staff.post(f"/v1/people/{majo}/resend-credentials", {"reason": "olvidó la contraseña"})
    harness.drain()
    staff.post(f"/v1/people/{majo}/suspend", {"reason": "uso indebido"})
    staff.post(f"/v1/people/{majo}/suspend", {"reason": "otra vez"})  # 409
    staff.post(f"/v1/people/{majo}/suspend", {})  # 422
    harness.drain()
    staff.post(f"/v1/people/{majo}/unsuspend")
    staff.post(f"/v1/people/{majo}/exclude", {"reason": "prueba"})
    staff.post(f"/v1/people/{majo}/resend-credentials", {"reason": "otra vez"})  # 409: excluded
    staff.post(f"/v1/people/{majo}/include")
    harness.drain()
    staff.post("/v1/people/424242/reconcile")  # 404
    for job in staff.get("/v1/jobs").json()["items"]:
        staff.get(f"/v1/jobs/{job['id']}")
    [dead] = staff.get("/v1/jobs", state="dead", person_id=carlos).json()["items"]
    staff.post(f"/v1/jobs/{dead['id']}/retry", {"reason": "Google responde"})
    staff.post("/v1/jobs/retry-dead")
    harness.drain()
    staff.post(f"/v1/people/{carlos}/resend-credentials", {"reason": "correo corregido"})
    [pending] = staff.get("/v1/jobs", state="pending").json()["items"]
    staff.post(f"/v1/jobs/{pending['id']}/cancel", {"reason": "duplicado"})
    staff.post(f"/v1/jobs/{pending['id']}/retry")
    harness.drain()
    staff.post(f"/v1/jobs/{pending['id']}/cancel")  # 409: done
    staff.get("/v1/suspension-holds")
    staff.post("/v1/suspension-holds/release", {"ids": None, "reason": "nada"})
    staff.post("/v1/suspension-holds/discard", {"ids": [424242]})  # 404
    staff.get("/v1/audit-events")
    staff.get("/v1/audit-events", actor="token:mesa-de-ayuda", person_id=majo)
    for path in ("/v1/people", f"/v1/people/{majo}", "/v1/jobs", "/v1/audit-events"):
        httpx.get(harness.base_url + path.lstrip("/"), headers={"Authorization": "Bearer msn_x_y"})


def test_no_password_in_answers_audit_or_logs_and_no_personal_data_in_logs(
    harness: Harness,
    logs: io.StringIO,
    generated: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    harness.emulator.set_faults([INVALID_INSERT])
    enroll(harness, CARLOS)  # Google refuses the creation: a dead job to retry
    enroll(harness, person())
    majo, carlos = person_id(harness, "TI:1098765432"), person_id(harness, "CC:52123456")
    responses: list[httpx.Response] = []
    staff = recording(harness, Scope.ADMIN, name="mesa-de-ayuda", into=responses)
    every_operation(harness, staff, majo, carlos)

    emailed = {emailed_password(m) for m in harness.mail_to(MAJO_EMAIL) + harness.mail_to(CARLOS_EMAIL)}
    assert len(harness.mail_to(MAJO_EMAIL)) == 2, "the creation and the resend"
    assert len(harness.mail_to(CARLOS_EMAIL)) == 2
    assert any(harness.emulator.password_valid(MAJO_ACCOUNT, p) for p in emailed)
    passwords = emailed | set(generated)
    assert len(passwords) >= 4
    assert {r.status_code for r in responses} >= {200, 202, 400, 404, 409, 422}

    answers = "\n".join(r.text for r in responses)
    trail = "\n".join(map(str, audit_items(api_client(harness, Scope.ADMIN, name="auditoria"))))
    captured = capsys.readouterr()
    logged = logs.getvalue() + captured.out + captured.err
    assert "staff_action" in logged, "the logs were captured"
    for password in passwords:
        assert password not in answers, "a password in an API answer"
        assert password not in trail, "a password in the audit trail"
        assert password not in logged, "a password in the logs"
    for private in (MAJO_DOCUMENT, CARLOS_DOCUMENT, MAJO_EMAIL, CARLOS_EMAIL):
        lines = lines_naming(logged, private)
        assert lines == [], f"{private} logged: {lines[:3]}"
    assert SECRET not in logged
    assert "msn_" not in logged.replace("msn_x_y", ""), "an API token in the logs"


def test_a_reason_that_names_the_person_does_not_reach_the_logs(
    harness: Harness, logs: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    """Staff write reasons like "reportado por <email>": kept in the audit trail (for IT
    staff), but the logs — read by whoever runs the service — get no document or email."""
    enroll(harness, person())
    majo = person_id(harness, "TI:1098765432")
    staff = api_client(harness, Scope.ACCOUNTS_WRITE)
    reason = f"uso indebido reportado por {MAJO_EMAIL} (TI {MAJO_DOCUMENT})"
    assert staff.post(f"/v1/people/{majo}/suspend", {"reason": reason}).status_code == 202
    harness.drain()
    assert staff.post(f"/v1/people/{majo}/unsuspend", {"reason": reason}).status_code == 202
    assert staff.post(f"/v1/people/{majo}/exclude", {"reason": reason}).status_code == 202
    assert staff.post(f"/v1/people/{majo}/include", {"reason": reason}).status_code == 202
    harness.drain()
    account = harness.get_user(MAJO_ACCOUNT)
    assert account is not None
    assert account["suspended"] is False

    captured = capsys.readouterr()
    logged = logs.getvalue() + captured.out + captured.err
    assert "staff_action" in logged, "the logs were captured"
    for private in (MAJO_DOCUMENT, MAJO_EMAIL):
        lines = lines_naming(logged, private)
        assert lines == [], f"{private} logged: {lines[:3]}"
