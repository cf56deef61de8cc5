"""The audit trail: one entry per change (actor, action, person or target, reason), none for
a refused call, readable by filter through ``/v1/audit-events``, and append-only in both
databases — the triggers refuse UPDATE and DELETE however SQLAlchemy issues them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

import httpx
import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import AuditEvent
from app.staff.audit import SYSTEM_ACTOR
from app.staff.tokens import Scope
from tests.support.events import enrolled, person
from tests.support.harness import Harness
from tests.support.staff_api import (
    INVALID_INSERT,
    api_client,
    apprentice,
    assert_problem,
    audit_items,
    enroll,
    person_id,
    shared,
    snapshot,
)

__all__ = ["shared"]

CARLOS = apprentice("52.123.456", "carlos.ramirez@example.com", "CARLOS", "RAMIREZ GOMEZ")


class Step(NamedTuple):
    action: str
    path: Callable[[], str]  # read when the step runs: it may name a job the previous one made
    body: dict[str, Any] | None
    reason: str | None  # what the entry records


def test_each_change_leaves_one_entry_naming_who_what_whom_and_why(harness: Harness) -> None:
    harness.emulator.set_faults([INVALID_INSERT])
    enroll(harness, CARLOS)  # Google refuses: a dead job for retry-dead
    enroll(harness, person())
    majo, carlos = person_id(harness, "TI:1098765432"), person_id(harness, "CC:52123456")
    staff = api_client(harness, Scope.ACCOUNTS_WRITE, Scope.JOBS_WRITE, name="mesa-de-ayuda")
    admin = api_client(harness, Scope.ADMIN, name="auditoria")
    [dead] = admin.get("/v1/jobs", state="dead").json()["items"]
    assert dead["person_id"] == carlos

    def job_of_majo(state: str) -> int:
        [job] = admin.get("/v1/jobs", person_id=majo, state=state).json()["items"]
        return int(job["id"])

    people = f"/v1/people/{majo}"
    steps = [
        Step("person.reconcile", lambda: f"{people}/reconcile", {"reason": "r1"}, "r1"),
        Step("job.cancel", lambda: f"/v1/jobs/{job_of_majo('pending')}/cancel", {"reason": "r2"}, "r2"),
        Step("job.retry", lambda: f"/v1/jobs/{job_of_majo('cancelled')}/retry", None, None),
        Step("person.resend_credentials", lambda: f"{people}/resend-credentials", {"reason": "rr3"}, "rr3"),
        Step("person.suspend", lambda: f"{people}/suspend", {"reason": "uso indebido"}, "uso indebido"),
        Step("person.unsuspend", lambda: f"{people}/unsuspend", None, None),
        Step("person.exclude", lambda: f"{people}/exclude", {"reason": "directivo"}, "directivo"),
        Step("person.include", lambda: f"{people}/include", {"reason": "r4"}, "r4"),
        Step("job.retry_dead", lambda: "/v1/jobs/retry-dead", {"reason": "r5"}, "r5"),
    ]
    for step in steps:
        count = len(audit_items(admin))
        path = step.path()
        response = staff.post(path, step.body)
        assert response.status_code in (200, 202), f"{step.action}: {response.text}"
        entries = audit_items(admin)
        assert len(entries) == count + 1, f"{step.action} left {len(entries) - count} entries"
        entry = entries[0]
        assert (entry["actor"], entry["action"], entry["reason"]) == (
            "token:mesa-de-ayuda",
            step.action,
            step.reason,
        )
        assert entry["at"]
        if step.action.startswith("person."):
            assert (entry["person_id"], entry["target"]) == (majo, None), step.action
        elif step.action == "job.retry_dead":
            assert (entry["person_id"], entry["details"]) == (None, {"jobs": [dead["id"]]})
        else:
            assert (entry["person_id"], entry["target"]) == (majo, f"job:{path.split('/')[3]}")
        if step.action == "person.resend_credentials":
            assert isinstance(entry["details"]["delivery_id"], int)

    trail = admin.get(f"/v1/people/{majo}").json()["audit"]
    expected = [step.action for step in reversed(steps) if step.action != "job.retry_dead"]
    assert [e["action"] for e in trail] == expected, "the person's picture shows their trail"


def test_refused_calls_leave_no_entry_and_change_nothing(harness: Harness) -> None:
    enroll(harness, person())
    majo = person_id(harness, "TI:1098765432")
    staff = api_client(harness, Scope.ACCOUNTS_WRITE, Scope.JOBS_WRITE)
    admin = api_client(harness, Scope.ADMIN)
    assert staff.post(f"/v1/people/{majo}/suspend", {"reason": "uso indebido"}).status_code == 202
    harness.drain()
    done = admin.get("/v1/jobs", state="done", limit=1).json()["items"][0]["id"]
    harness.post(enrolled(harness.clock() - timedelta(hours=1), ficha="2800123"))
    [pending] = admin.get("/v1/jobs", state="pending").json()["items"]
    entries = audit_items(admin)
    before = snapshot(harness)

    refused: list[tuple[int, str, dict[str, Any] | None]] = [
        (404, "/v1/people/424242/suspend", {"reason": "uso indebido"}),
        (404, "/v1/people/424242/reconcile", None),
        (404, "/v1/jobs/424242/cancel", None),
        (404, "/v1/suspension-holds/release", {"ids": [424242]}),
        (409, f"/v1/people/{majo}/suspend", {"reason": "otra vez"}),
        (409, f"/v1/people/{majo}/include", None),
        (409, f"/v1/jobs/{done}/cancel", None),
        (409, f"/v1/jobs/{done}/retry", None),
        (409, f"/v1/jobs/{pending['id']}/retry", None),
        (422, f"/v1/people/{majo}/exclude", {}),
        (422, f"/v1/people/{majo}/exclude", {"reason": "x" * 501}),
        (422, f"/v1/people/{majo}/reconcile", {"reason": "r", "force": True}),
        (422, f"/v1/jobs/{pending['id']}/cancel", {"reason": ["not", "text"]}),
    ]
    for status, path, body in refused:
        client = admin if "suspension-holds" in path else staff
        assert_problem(client.post(path, body), status)
        assert audit_items(admin) == entries, f"{path} left an audit entry"
        assert snapshot(harness) == before, f"{path} changed something"


def test_filter_by_actor_action_person_and_time(harness: Harness) -> None:
    enroll(harness, person(), CARLOS)
    majo, carlos = person_id(harness, "TI:1098765432"), person_id(harness, "CC:52123456")
    mesa = api_client(harness, Scope.ACCOUNTS_WRITE, name="mesa")
    soporte = api_client(harness, Scope.ACCOUNTS_WRITE, name="soporte")
    admin = api_client(harness, Scope.ADMIN)
    mesa.post(f"/v1/people/{majo}/reconcile", {"reason": "a"})
    harness.clock.advance(minutes=10)
    soporte.post(f"/v1/people/{majo}/suspend", {"reason": "uso indebido"})
    harness.clock.advance(minutes=10)
    mesa.post(f"/v1/people/{carlos}/reconcile", {"reason": "c"})
    c, b, a = staff_actions(audit_items(admin))
    assert [a["reason"], b["reason"], c["reason"]] == ["a", "uso indebido", "c"]

    def reasons(**filters: Any) -> list[str]:
        return [e["reason"] for e in staff_actions(audit_items(admin, **filters))]

    assert reasons(actor="token:mesa") == ["c", "a"]
    assert reasons(actor="token:soporte") == ["uso indebido"]
    assert reasons(actor="mesa") == [], "the actor is matched whole"
    assert reasons(action="person.reconcile") == ["c", "a"]
    assert reasons(action="person.suspend") == ["uso indebido"]
    assert reasons(person_id=majo) == ["uso indebido", "a"]
    assert reasons(person_id=carlos) == ["c"]
    assert reasons(since=b["at"]) == ["c", "uso indebido"], "since is inclusive"
    assert reasons(until=b["at"]) == ["a"], "until is exclusive"
    assert reasons(since=a["at"], until=c["at"]) == ["uso indebido", "a"]
    bogota = datetime.fromisoformat(b["at"]).astimezone(timezone(timedelta(hours=-5))).isoformat()
    assert reasons(since=bogota) == ["c", "uso indebido"], "the same instant, in Bogotá time"
    assert reasons(actor="token:mesa", person_id=majo) == ["a"]
    assert reasons(actor="token:mesa", action="person.suspend") == []

    paged: list[dict[str, Any]] = []
    page = admin.get("/v1/audit-events", limit=1).json()
    while True:
        assert len(page["items"]) == 1
        paged.extend(page["items"])
        if not page.get("next_page_token"):
            break
        page = admin.get("/v1/audit-events", limit=1, page_token=page["next_page_token"]).json()
    assert paged == audit_items(admin), "one entry a page, each once, newest first"
    assert [e["id"] for e in paged] == sorted((e["id"] for e in paged), reverse=True)
    assert [e["reason"] for e in staff_actions(paged)] == ["c", "uso indebido", "a"]


def staff_actions(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries of IT staff's actions on people and jobs (issuing the test's tokens is audited
    too, and so is each account misena creates by itself)."""
    return [e for e in entries if not e["action"].startswith("token.") and e["actor"] != SYSTEM_ACTOR]


def test_an_account_the_worker_creates_leaves_an_entry_by_misena(harness: Harness) -> None:
    """Automatic creations are in the trail too, by misena's own actor, in the transaction that
    records the account: one per account, none for a person whose creation Google refused."""
    harness.emulator.set_faults([INVALID_INSERT])
    enroll(harness, CARLOS)  # refused by Google: no account, no entry
    enroll(harness, person())
    majo, carlos = person_id(harness, "TI:1098765432"), person_id(harness, "CC:52123456")
    admin = api_client(harness, Scope.ADMIN)
    created = audit_items(admin, actor=SYSTEM_ACTOR, action="account.create")
    [entry] = created
    assert (entry["details"]["person_id"], entry["target"]) == (majo, "1098765432@misena.edu.co")
    assert entry["person_id"] is None, "named in details: an absorbed person's row can still go"
    assert entry["details"]["org_unit"].startswith("/")
    assert entry["reason"] == "enrolled in Sofia Plus"
    assert not [e for e in audit_items(admin) if (e["details"] or {}).get("person_id") == carlos]
    harness.drain()
    assert len(audit_items(admin, action="account.create")) == 1, "a reconcile that finds it adds none"


def test_a_time_without_a_zone_is_not_a_server_error(shared: Harness) -> None:
    """``since``/``until`` without an offset: either read as UTC or refused naming the field —
    never a 500 (today the naive value reaches the UTC column type and raises)."""
    admin = api_client(shared, Scope.ADMIN)
    for field in ("since", "until"):
        for value in ("2026-01-20T08:15:00", "2026-01-20"):
            response = admin.get("/v1/audit-events", **{field: value})
            if response.status_code != 200:
                assert_problem(response, 422, field)


def in_transaction(sessions: sessionmaker[Session], change: Callable[[Session], Any]) -> None:
    with sessions.begin() as session:
        change(session)
        session.flush()


def test_the_trail_is_append_only_in_the_database(harness: Harness) -> None:
    enroll(harness, person())
    majo = person_id(harness, "TI:1098765432")
    admin = api_client(harness, Scope.ADMIN)
    assert admin.post(f"/v1/people/{majo}/reconcile", {"reason": "original"}).status_code == 202
    [entry] = audit_items(admin, action="person.reconcile")
    everything = audit_items(admin)
    sessions = harness.services.sessions

    attempts: list[Callable[[Session], Any]] = [
        lambda s: s.execute(update(AuditEvent).values(reason="rewritten")),
        lambda s: s.execute(update(AuditEvent).where(AuditEvent.id == entry["id"]).values(actor="nadie")),
        lambda s: s.execute(delete(AuditEvent)),
        lambda s: s.execute(delete(AuditEvent).where(AuditEvent.id == entry["id"])),
        lambda s: setattr(s.get(AuditEvent, entry["id"]), "reason", "rewritten"),
        lambda s: s.delete(s.get(AuditEvent, entry["id"])),
    ]
    for attempt in attempts:
        with pytest.raises(DBAPIError, match="append-only"):
            in_transaction(sessions, attempt)

    assert audit_items(admin) == everything, "every entry is intact"
    with sessions() as session:
        reason = select(AuditEvent.reason).where(AuditEvent.id == entry["id"])
        assert session.scalars(reason).all() == ["original"]
    assert httpx.get(harness.base_url + "readyz").status_code == 200
