"""The circuit breaker on the event path: a burst of cancellations above the limit suspends up
to the limit and holds the rest — nothing lost, nothing applied until IT staff decide."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from typer.testing import CliRunner

from app.cli.main import cli
from tests.support.events import enrolled, person, status_changed
from tests.support.harness import Harness, HarnessFactory
from tests.support.staff_client import cli_environment

PEOPLE = [f"10{n:08d}" for n in range(1, 8)]  # seven apprentices
LIMIT = 3


def address(document: str) -> str:
    return f"{document}@misena.edu.co"


def _cancel_everyone(harness: Harness) -> None:
    """Seven enrolled, then a feed that cancels all of them; grace runs out, the sweep fires."""
    start = harness.clock() - timedelta(days=2)
    for document in PEOPLE:
        who = person(document, "CC", personal_email=f"p{document}@example.com")
        harness.post(enrolled(start, who=who))
    harness.drain()
    for document in PEOPLE:
        who = person(document, "CC", personal_email=f"p{document}@example.com")
        harness.post(status_changed(start + timedelta(hours=1), "CANCELADO", who=who))
    harness.drain()
    harness.clock.advance(days=31)
    assert harness.sweep() == len(PEOPLE)
    harness.drain()


def _suspended(harness: Harness) -> set[str]:
    found = set()
    for document in PEOPLE:
        user = harness.get_user(address(document))
        assert user is not None, "no account is ever deleted"
        if user["suspended"]:
            found.add(document)
    return found


@pytest.fixture
def braked(make_harness: HarnessFactory) -> Harness:
    return make_harness(brake={"limit": LIMIT, "window_seconds": 3600})


def test_a_burst_above_the_limit_suspends_up_to_it_and_holds_the_rest(braked: Harness) -> None:
    _cancel_everyone(braked)
    assert len(_suspended(braked)) == LIMIT
    held = braked.services.brake.held()
    assert len(held) == len(PEOPLE) - LIMIT
    assert all("CANCELADO" in h.reason for h in held)

    ready = httpx.get(braked.base_url + "readyz")
    assert ready.status_code == 200, "held suspensions do not make the service unready"
    assert ready.json()["suspensions_held"] == len(PEOPLE) - LIMIT
    metrics = httpx.get(braked.base_url + "metrics").text
    assert f"misena_suspensions_held {float(len(PEOPLE) - LIMIT)}" in metrics

    braked.sweep()
    braked.drain()
    assert len(_suspended(braked)) == LIMIT, "re-running the reconcile keeps holding"
    assert len(braked.services.brake.held()) == len(PEOPLE) - LIMIT, "and does not hold twice"


def test_released_holds_are_applied_even_with_the_window_full(braked: Harness) -> None:
    _cancel_everyone(braked)
    assert (
        braked.services.staff.decide_holds(None, True, "it-staff@misena.edu.co", "verified")
        == len(PEOPLE) - LIMIT
    )
    braked.drain()
    assert _suspended(braked) == set(PEOPLE)
    assert braked.services.brake.held() == []


def test_discarded_holds_leave_the_accounts_active(braked: Harness) -> None:
    _cancel_everyone(braked)
    discarded = {h.person_id for h in braked.services.brake.held()}
    assert braked.services.staff.decide_holds(None, False, "it-staff@misena.edu.co", "bad feed") == len(
        discarded
    )
    braked.clock.advance(days=1)
    braked.sweep()
    braked.drain()
    assert len(_suspended(braked)) == LIMIT
    assert braked.services.brake.held() == [], "a discarded suspension is not held again"


def test_a_corrected_feed_makes_held_suspensions_obsolete(braked: Harness) -> None:
    _cancel_everyone(braked)
    held_people = set(PEOPLE) - _suspended(braked)
    now = braked.clock()
    for document in held_people:
        who = person(document, "CC", personal_email=f"p{document}@example.com")
        braked.post(status_changed(now, "EN_FORMACION", who=who))
    braked.drain()
    assert braked.services.brake.held() == []
    assert _suspended(braked).isdisjoint(held_people)


def test_the_window_slides(braked: Harness) -> None:
    _cancel_everyone(braked)
    braked.services.staff.decide_holds(None, False, "test", None)
    start = braked.clock() - timedelta(days=2)
    late = person("1099999999", "CC", personal_email="late@example.com")
    braked.deliver(
        enrolled(start, who=late), status_changed(start + timedelta(hours=1), "CANCELADO", who=late)
    )
    braked.clock.advance(days=31)
    braked.sweep()
    braked.drain()
    account = braked.get_user(address("1099999999"))
    assert account is not None
    assert account["suspended"] is True


def test_the_cli_lists_and_releases_holds(braked: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    _cancel_everyone(braked)
    runner = CliRunner()
    with cli_environment(braked, monkeypatch):
        listed = runner.invoke(cli, ["brake", "list", "--json"])
        assert listed.exit_code == 0, listed.output
        assert listed.output.count('"reason"') == len(PEOPLE) - LIMIT
        first = braked.services.brake.held()[0]
        released = runner.invoke(cli, ["brake", "release", str(first.id)])
        assert released.exit_code == 0, released.output
        assert "1 suspensiones liberadas" in released.output
        assert len(braked.services.brake.held()) == len(PEOPLE) - LIMIT - 1
        refused = runner.invoke(cli, ["brake", "discard"])
        assert refused.exit_code == 2
