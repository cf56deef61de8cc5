"""The IT staff API end to end: find the person, see the whole picture, act, read the audit."""

from __future__ import annotations

from datetime import timedelta

from app.staff.tokens import Scope
from tests.support.events import enrolled
from tests.support.harness import Harness
from tests.support.staff_client import staff_client


def test_find_see_suspend_unsuspend_and_audit(harness: Harness) -> None:
    harness.deliver(enrolled(harness.clock() - timedelta(days=1)))
    staff = staff_client(harness, Scope.ACCOUNTS_READ, Scope.ACCOUNTS_WRITE)
    found = staff.get("/v1/people", document="1.098.765.432")
    assert found.status_code == 200, found.text
    [person] = found.json()["items"]
    detail = staff.get(f"/v1/people/{person['id']}", live="true").json()
    assert detail["workspace"]["live"]["primary_email"] == "1098765432@misena.edu.co"
    assert detail["deliveries"][0]["status"] == "sent"
    assert staff.post(f"/v1/people/{person['id']}/suspend", {"reason": "uso indebido"}).status_code == 202
    harness.drain()
    account = harness.get_user("1098765432@misena.edu.co")
    assert account is not None
    assert account["suspended"] is True
    assert staff.post(f"/v1/people/{person['id']}/unsuspend").status_code == 202
    harness.drain()
    account = harness.get_user("1098765432@misena.edu.co")
    assert account is not None
    assert account["suspended"] is False
    entries = staff_client(harness, Scope.ADMIN).get("/v1/audit-events").json()["items"]
    audit = [a for a in entries if not a["action"].startswith(("token.", "account.create"))]
    assert [a["action"] for a in audit] == ["person.unsuspend", "person.suspend"]
    assert audit[1]["actor"] == "token:mesa-de-ayuda"
    assert audit[1]["reason"] == "uso indebido"
