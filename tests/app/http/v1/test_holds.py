"""``/v1/suspension-holds``: the suspensions the circuit breaker held, and IT staff's decision
— by ids or all at once (``ids: null``) — applied by the worker; each decision audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.staff.tokens import Scope
from tests.support.events import enrolled, person, status_changed
from tests.support.harness import Harness, HarnessFactory
from tests.support.staff_api import api_client, assert_problem, audit_items, snapshot
from tests.support.staff_client import StaffClient

PEOPLE = [f"10{n:08d}" for n in range(1, 6)]  # five apprentices; four cancelled at once, one later
LIMIT = 1


def who(document: str) -> dict[str, Any]:
    return person(document, "CC", personal_email=f"p{document}@example.com")


def suspended(harness: Harness, document: str) -> bool:
    user = harness.get_user(f"{document}@misena.edu.co")
    assert user is not None
    return bool(user["suspended"])


@pytest.fixture
def braked(make_harness: HarnessFactory) -> Harness:
    """Five enrolled; the first four cancelled, their grace over: one suspended, three held."""
    harness = make_harness(brake={"limit": LIMIT, "window_seconds": 3600})
    start = harness.clock() - timedelta(days=2)
    for document in PEOPLE:
        harness.post(enrolled(start, who=who(document)))
    harness.drain()
    for document in PEOPLE[:4]:
        harness.post(status_changed(start + timedelta(hours=1), "CANCELADO", who=who(document)))
    harness.drain()
    harness.clock.advance(days=31)
    assert harness.sweep() == 4
    harness.drain()
    return harness


def holds(client: StaffClient, **filters: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/suspension-holds", **filters)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_release_and_discard_by_ids_and_all_at_once(braked: Harness) -> None:
    reader = api_client(braked, Scope.ACCOUNTS_READ, name="lectura")
    admin = api_client(braked, Scope.ADMIN, name="jefe-ti")
    documents = {braked.person(f"CC:{d}").id: d for d in PEOPLE}
    c, b, a = held_three(reader)
    refusals_change_nothing(braked, admin, a, b, c)

    released = admin.post("/v1/suspension-holds/release", {"ids": [a["id"]], "reason": "verificado"})
    assert released.status_code == 200, released.text
    assert released.json() == {"action": "suspension.release", "count": 1}
    discarded = admin.post("/v1/suspension-holds/discard", {"ids": [b["id"]], "reason": "feed errado"})
    assert discarded.json() == {"action": "suspension.discard", "count": 1}

    before = snapshot(braked)
    assert_problem(admin.post("/v1/suspension-holds/discard", {"ids": [a["id"]]}), 409)
    assert_problem(admin.post("/v1/suspension-holds/release", {"ids": [b["id"], c["id"]]}), 409)
    assert snapshot(braked) == before, "a decision on a decided hold changes nothing, not even the rest"

    everything = admin.post("/v1/suspension-holds/release", {"ids": None})
    assert everything.json() == {"action": "suspension.release", "count": 1}
    assert admin.post("/v1/suspension-holds/release", {}).json()["count"] == 0
    braked.drain()
    assert suspended(braked, documents[a["person_id"]]), "released: suspended, window full or not"
    assert suspended(braked, documents[c["person_id"]])
    assert not suspended(braked, documents[b["person_id"]]), "discarded: stays active"

    d = discard_a_late_one_with_null(braked, reader, admin, documents)

    assert {h["id"] for h in holds(reader, state="released")} == {a["id"], c["id"]}
    assert {h["id"] for h in holds(reader, state="discarded")} == {b["id"], d["id"]}
    decided = holds(reader, state="released") + holds(reader, state="discarded")
    assert all(h["decided_by"] == "token:jefe-ti" and h["decided_at"] for h in decided)
    trail = {
        (e["action"], e["target"]): (e["actor"], e["person_id"], e["reason"])
        for e in audit_items(admin)
        if e["action"].startswith("suspension.")
    }
    assert trail == {
        ("suspension.release", f"hold:{a['id']}"): ("token:jefe-ti", a["person_id"], "verificado"),
        ("suspension.discard", f"hold:{b['id']}"): ("token:jefe-ti", b["person_id"], "feed errado"),
        ("suspension.release", f"hold:{c['id']}"): ("token:jefe-ti", c["person_id"], None),
        ("suspension.discard", f"hold:{d['id']}"): ("token:jefe-ti", d["person_id"], "lote"),
    }


def held_three(reader: StaffClient) -> list[dict[str, Any]]:
    """The three held, newest first (also page by page), shown on each person's picture."""
    held = holds(reader)
    assert len(held) == 3
    assert held == holds(reader, state="held"), "held is the default"
    assert all(h["state"] == "held" and "CANCELADO" in h["reason"] for h in held)
    assert holds(reader, state="released") == []
    assert [h["id"] for h in held] == sorted((h["id"] for h in held), reverse=True)
    first = reader.get("/v1/suspension-holds", limit=2).json()
    rest = reader.get("/v1/suspension-holds", limit=2, page_token=first["next_page_token"]).json()
    assert [h["id"] for h in first["items"] + rest["items"]] == [h["id"] for h in held]
    assert rest.get("next_page_token") is None
    for hold in held:
        detail = reader.get(f"/v1/people/{hold['person_id']}").json()
        assert [(h["id"], h["state"]) for h in detail["holds"]] == [(hold["id"], "held")]
    return held


def refusals_change_nothing(harness: Harness, admin: StaffClient, *held: dict[str, Any]) -> None:
    a = held[0]
    before = snapshot(harness)
    assert_problem(admin.post("/v1/suspension-holds/release", {"ids": [a["id"], 424242]}), 404)
    assert_problem(admin.post("/v1/suspension-holds/discard", {"ids": [424242]}), 404)
    assert_problem(admin.post("/v1/suspension-holds/release", {"ids": "all"}), 422, "ids")
    assert_problem(admin.post("/v1/suspension-holds/discard", {"ids": None, "why": "x"}), 422)
    assert snapshot(harness) == before, "refused decisions change nothing"
    assert {h["id"] for h in holds(admin)} == {h["id"] for h in held}


def discard_a_late_one_with_null(
    harness: Harness, reader: StaffClient, admin: StaffClient, documents: dict[int, str]
) -> dict[str, Any]:
    """The fifth apprentice cancelled now, the window still full: held; ``ids: null`` discards it."""
    late = PEOPLE[4]
    harness.deliver(status_changed(harness.clock() - timedelta(days=31), "CANCELADO", who=who(late)))
    [d] = holds(reader)
    assert documents[d["person_id"]] == late
    everything = admin.post("/v1/suspension-holds/discard", {"ids": None, "reason": "lote"})
    assert everything.json() == {"action": "suspension.discard", "count": 1}
    assert holds(reader) == []
    harness.clock.advance(days=1)
    harness.sweep()
    harness.drain()
    assert not suspended(harness, late), "a discarded suspension is not held again"
    return d
