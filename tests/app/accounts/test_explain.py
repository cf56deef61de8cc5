"""The calls an explanation predicts are the calls the reconcile then makes, counted by the emulator
(real HTTP, the real client library), in each situation a person's account can be in.

Each case sets the scene (events accepted but not yet reconciled where the change is the
event's), explains the person, clears the counters, lets the reconcile run, and compares every
Google call counted with the prediction, method by method. The explanation itself writes
nothing: the emulator counts no write while it explains.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
from sqlalchemy import delete, select

from app.accounts.explain import Explainer, Explanation
from app.accounts.google_calls import NOT_SHOWN
from app.db.models import CredentialDelivery, Person
from app.db.states import AccountStatus
from tests.support.databases import sqlite_url
from tests.support.events import enrolled, person, person_updated, status_changed
from tests.support.harness import Harness
from workspace.models import UserChanges

KEY = "TI:1098765432"
ADDRESS = "1098765432@misena.edu.co"
OTHER = person("1.000.000.001", "CC", first_names="LUIS")
WRITES = ("insert", "update", "patch", "delete", "send", "undelete")


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the calls are Google's, the same whichever database misena keeps."""
    return sqlite_url(tmp_path)


def _start(harness: Harness) -> Any:
    return harness.clock() - timedelta(days=10)


def _post(harness: Harness, event: dict[str, Any]) -> None:
    """Accepted and queued, not yet run: the reconcile is still to come."""
    assert harness.post(event).status_code == 202


def _warm(harness: Harness) -> None:
    """Another apprentice of the ficha first: its org unit exists and its group is known."""
    harness.deliver(enrolled(_start(harness), who=OTHER))


def _enrolled(harness: Harness) -> None:
    _warm(harness)
    harness.deliver(enrolled(_start(harness)))


def _new_person(harness: Harness) -> None:
    _warm(harness)
    _post(harness, enrolled(_start(harness)))


def _renamed_and_moved(harness: Harness) -> None:
    """A new name, and the account moved by hand to another unit: one update puts both right."""
    _enrolled(harness)
    harness.services.directory.ensure_org_unit("/Otros")
    harness.services.directory.update_user(ADDRESS, UserChanges(org_unit_path="/Otros"))
    _post(harness, person_updated(_start(harness) + timedelta(days=1), who=person(first_names="ANA LUCÍA")))


def _withdrawn(harness: Harness) -> None:
    _enrolled(harness)
    harness.deliver(status_changed(_start(harness) + timedelta(days=1), "CANCELADO"))
    harness.clock.advance(days=200)  # past the grace period: the sweep queues the suspension
    assert harness.sweep() == 1


def _unlinked(harness: Harness) -> None:
    """The account is in Google, but misena's row does not name it (as if made by GAM)."""
    _enrolled(harness)
    with harness.services.sessions.begin() as session:
        row = session.scalars(select(Person).where(Person.person_key == KEY)).one()
        row.google_user_id, row.primary_email = None, None
        row.account_status = AccountStatus.PENDING
    _post(harness, person_updated(_start(harness) + timedelta(days=1)))


def _unlinked_never_sent(harness: Harness) -> None:
    """As :func:`_unlinked`, and misena never sent its credentials: adopting it owes them (a
    fresh password, then the email)."""
    _unlinked(harness)
    with harness.services.sessions.begin() as session:
        session.execute(delete(CredentialDelivery))


def _queued(harness: Harness) -> None:
    harness.drain()


def _asked(harness: Harness) -> None:
    harness.services.reconciler.reconcile(harness.person(KEY).id)


@dataclass(frozen=True)
class Case:
    situation: str
    scene: Callable[[Harness], None]
    run: Callable[[Harness], None]
    outcome: str
    methods: dict[str, int]


CASES = [
    Case(
        "new person without an account",
        _new_person,
        _queued,
        "account",
        {"directory.users.insert": 1, "gmail.users.messages.send": 1, "directory.members.insert": 1},
    ),
    Case(
        "changed name and org unit",
        _renamed_and_moved,
        _queued,
        "account",
        {"directory.users.get": 1, "directory.users.update": 1},
    ),
    Case(
        "withdrawn past the grace period: suspended",
        _withdrawn,
        _queued,
        "account",
        {"directory.users.get": 1, "directory.users.update": 1},
    ),
    Case("nothing to do", _enrolled, _asked, "account", {"directory.users.get": 1}),
    Case(
        "account in Google, not linked: adopted",
        _unlinked,
        _queued,
        "account",
        {
            "directory.users.insert": 1,
            "directory.users.get": 1,
            "directory.members.insert": 1,
            "directory.members.get": 1,
        },
    ),
    Case(
        "account in Google, not linked, credentials never sent: adopted and sent",
        _unlinked_never_sent,
        _queued,
        "account",
        {
            "directory.users.insert": 1,
            "directory.users.get": 1,
            "directory.members.insert": 1,
            "directory.members.get": 1,
            "directory.users.update": 1,
            "gmail.users.messages.send": 1,
        },
    ),
]


def _explain(harness: Harness) -> Explanation:
    services = harness.services
    explainer = Explainer(services.reconciler, services.directory, services.sessions, services.clock)
    explanation = explainer.explain(harness.person(KEY).id)
    assert explanation is not None
    return explanation


@pytest.mark.parametrize("case", CASES, ids=[case.situation for case in CASES])
def test_the_calls_explained_are_the_calls_the_reconcile_makes(harness: Harness, case: Case) -> None:
    case.scene(harness)
    harness.emulator.clear_counters()
    explanation = _explain(harness)
    explained = harness.google_calls()
    assert not [method for method in explained if method.rsplit(".", 1)[-1] in WRITES], explained
    assert explained == Counter(call.method_id for call in explanation.reads)

    harness.emulator.clear_counters()
    case.run(harness)

    predicted = Counter(call.method_id for call in explanation.calls)
    assert predicted == harness.google_calls(), explanation.calls
    assert (explanation.outcome, dict(predicted)) == (case.outcome, case.methods)
    again = _explain(harness)  # converged: a second look plans nothing but the read
    assert [call.method for call in again.calls] == ["users.get"]


def test_an_explanation_shows_the_changes_and_never_a_password(harness: Harness) -> None:
    _new_person(harness)
    explanation = _explain(harness)
    insert = explanation.calls[0]
    assert (insert.method, insert.key) == ("users.insert", ADDRESS)
    assert insert.changes["password"] == NOT_SHOWN
    assert insert.changes["org_unit_path"] == "/Aprendices/Distrito Capital"
    assert explanation.google_account is None
    assert [(call.method, call.key) for call in explanation.reads] == [("users.get", ADDRESS)]

    harness.drain()
    renamed = person_updated(_start(harness) + timedelta(days=1), who=person(first_names="ANA LUCÍA"))
    _post(harness, renamed)
    update = _explain(harness).calls[1]
    assert update.method == "users.update"
    assert update.changes == {"name": {"given_name": "Ana Lucía", "family_name": ANY}}


def test_excluded_and_unknown_people_have_no_calls(harness: Harness) -> None:
    _enrolled(harness)
    person_id = harness.person(KEY).id
    harness.services.staff.exclude(person_id, "soporte@misena.edu.co", "cuenta de prueba")
    explanation = _explain(harness)
    assert (explanation.outcome, explanation.calls) == ("excluded", [])
    services = harness.services
    explainer = Explainer(services.reconciler, services.directory, services.sessions, services.clock)
    assert explainer.explain(person_id + 1000) is None
