"""A bulk plan's suspensions that IT staff confirmed (``--confirm N``) meet the circuit breaker
only once: the brake lets them through past its limit, because the preview said they would
happen and staff said yes to exactly those. They still count in the brake's window, the
pre-release is used once and for its reason only, and an unconfirmed plan and the event path
are braked as before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from typer.testing import CliRunner

from app.cli.main import cli
from app.staff.tokens import Scope
from tests.support.events import person, status_changed
from tests.support.harness import Harness, HarnessFactory
from tests.support.roster_sync import KNOWN, enroll_known, roster, row
from tests.support.staff_client import cli_environment, staff_client

LIMIT = 2
GONE = KNOWN[15:]  # five of twenty missing from the export: 25%, a refused plan
WINDOW_SECONDS = 3600


def _who(document: str) -> dict[str, object]:
    return person(
        document,
        "CC",
        first_names="ANA MARÍA",
        last_names="PEÑA TORRES",
        personal_email=f"p{document}@example.com",
    )


def _suspended(harness: Harness, documents: list[str]) -> set[str]:
    found = set()
    for document in documents:
        account = harness.get_user(f"{document}@misena.edu.co")
        assert account is not None, "no account is ever deleted"
        if account["suspended"]:
            found.add(document)
    return found


def _grace_runs_out(harness: Harness) -> None:
    harness.clock.advance(days=31)
    harness.sweep()
    harness.drain()


@pytest.fixture
def braked(make_harness: HarnessFactory) -> Harness:
    harness = make_harness(brake={"limit": LIMIT, "window_seconds": WINDOW_SECONDS})
    enroll_known(harness, KNOWN)
    return harness


def _refused_plan(harness: Harness) -> int:
    run_id = harness.services.sync.plan(
        roster(*(row(d) for d in KNOWN[:15])), scope="all", actor="test", source_name="reporte.csv"
    )
    run = harness.services.sync.show(run_id)
    assert (run.status, run.suspensions) == ("refused", len(GONE))
    return run_id


def test_a_confirmed_plan_suspends_all_it_previewed_and_still_fills_the_window(braked: Harness) -> None:
    run_id = _refused_plan(braked)
    applied = staff_client(braked, Scope.SYNC_RUN).post(
        f"/v1/sync-runs/{run_id}/apply", {"confirm": len(GONE)}
    )
    assert applied.status_code == 200, applied.text
    braked.drain()
    _grace_runs_out(braked)
    assert _suspended(braked, GONE) == set(GONE), "every suspension IT staff confirmed is made"
    assert braked.services.brake.held() == []

    # They count in the window: the next suspension from the event path is held.
    late = KNOWN[0]
    braked.deliver(status_changed(braked.clock() - timedelta(days=31), "CANCELADO", who=_who(late)))
    assert late not in _suspended(braked, [late])
    assert [h.person_id for h in braked.services.brake.held()] == [braked.person(f"CC:{late}").id]

    # Used once: an admin reactivates one of them in Google after the window has moved on and
    # filled again; misena suspends it again for the same reason, through the brake this time.
    braked.clock.advance(hours=2)
    for document in KNOWN[1:3]:
        braked.deliver(status_changed(braked.clock() - timedelta(days=31), "CANCELADO", who=_who(document)))
    assert _suspended(braked, KNOWN[1:3]) == set(KNOWN[1:3]), "the window had room for two"
    again = GONE[0]
    braked.services.directory.set_suspended(f"{again}@misena.edu.co", False)
    person_id = braked.person(f"CC:{again}").id
    asked = staff_client(braked, Scope.ACCOUNTS_WRITE).post(
        f"/v1/people/{person_id}/reconcile", {"reason": "t"}
    )
    assert asked.status_code == 202, asked.text
    braked.drain()
    assert again not in _suspended(braked, [again]), "the pre-release was used up"
    assert len(braked.services.brake.held()) == 2


def test_a_person_active_again_before_the_suspension_loses_the_pre_release(braked: Harness) -> None:
    run_id = _refused_plan(braked)
    braked.services.sync.apply(run_id, actor="test", confirm=len(GONE))
    braked.drain()
    # Sofia corrects itself for one of them, then cancels the same ficha again (the same reason
    # in words, but an ending nobody confirmed).
    back = GONE[0]
    braked.deliver(status_changed(braked.clock(), "EN_FORMACION", who=_who(back)))
    braked.deliver(status_changed(braked.clock() + timedelta(seconds=1), "CANCELADO", who=_who(back)))
    braked.clock.advance(days=31)
    for document in KNOWN[1:3]:  # the window fills from the event path first
        braked.deliver(status_changed(braked.clock() - timedelta(days=31), "CANCELADO", who=_who(document)))
    braked.sweep()
    braked.drain()
    assert _suspended(braked, GONE) == set(GONE[1:]), "the four still confirmed pass the full window"
    assert [h.person_id for h in braked.services.brake.held()] == [braked.person(f"CC:{back}").id]


def test_the_cli_confirms_a_plan_and_its_suspensions_pass_the_brake(
    braked: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = _refused_plan(braked)
    with cli_environment(braked, monkeypatch):
        result = CliRunner().invoke(
            cli, ["sync", "apply", str(run_id), "--confirm", str(len(GONE)), "--json"]
        )
    assert result.exit_code == 0, result.output
    braked.drain()
    _grace_runs_out(braked)
    assert _suspended(braked, GONE) == set(GONE)
    assert braked.services.brake.held() == []


def test_the_same_suspensions_from_webhooks_are_braked(braked: Harness) -> None:
    start = braked.clock() - timedelta(days=1)
    for document in GONE:
        braked.post(status_changed(start, "CANCELADO", who=_who(document)))
    braked.drain()
    _grace_runs_out(braked)
    assert len(_suspended(braked, GONE)) == LIMIT
    assert len(braked.services.brake.held()) == len(GONE) - LIMIT


def test_an_unconfirmed_plan_is_braked(make_harness: HarnessFactory) -> None:
    harness = make_harness(
        brake={"limit": LIMIT, "window_seconds": WINDOW_SECONDS}, sync_max_suspension_share=0.5
    )
    enroll_known(harness, KNOWN)
    run_id = harness.services.sync.plan(
        roster(*(row(d) for d in KNOWN[:15])), scope="all", actor="test", source_name="reporte.csv"
    )
    assert harness.services.sync.show(run_id).status == "planned", "25% is under this limit: no refusal"
    harness.services.sync.apply(run_id, actor="test")
    harness.drain()
    _grace_runs_out(harness)
    assert len(_suspended(harness, GONE)) == LIMIT
    assert len(harness.services.brake.held()) == len(GONE) - LIMIT
