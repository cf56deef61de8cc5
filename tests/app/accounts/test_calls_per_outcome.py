"""Google calls per outcome, by method, as the emulator counts them (real HTTP, the real client).

Google's quota is the ceiling on how fast accounts follow Sofia Plus, so each outcome costs the
fewest Directory and Gmail calls the API allows while misena stays correct. Each case sets the
scene, clears the emulator's counters, lets one outcome happen, and compares every call made
(``method`` for a 2xx answer, ``method status`` otherwise) with the table.

The floor is not zero reads: a reconcile of an existing account reads it once (``users.get``
by the Google id misena recorded, never by address first), because that read is how misena
notices an account changed outside it — renamed, moved into an excluded unit, suspended by an
admin (never reactivated by misena) — and only the fields that differ are patched. Everything
else is remembered: org units are written to first and created only when Google answers
``INVALID_OU_ID``; ficha groups likewise, when the membership insert answers 404 ``groupKey``;
memberships are planned against misena's own records; a new account's credentials go out with
the password its insert set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.clock import FrozenClock
from tests.support.databases import sqlite_url
from tests.support.events import enrolled, person, person_updated, roles_changed, status_changed
from tests.support.harness import Harness, HarnessFactory

ACTOR = "soporte@misena.edu.co"
KEY = "TI:1098765432"
OTHER = person("1.000.000.001", "CC", first_names="LUIS")
ADDRESS = "1098765432@misena.edu.co"
FICHA = "ficha-2758392@misena.edu.co"
APPRENTICES = "/Aprendices/Distrito Capital"
INSTRUCTORS = "/Instructores/Distrito Capital"
GRADUATES = "/Egresados/Distrito Capital"

GET = "directory.users.get"
INSERT = "directory.users.insert"
UPDATE = "directory.users.update"
JOIN = "directory.members.insert"
LEAVE = "directory.members.delete"
ROLE = "directory.members.patch"
GROUP_INSERT = "directory.groups.insert"
OU_GET = "directory.orgunits.get"
OU_INSERT = "directory.orgunits.insert"
SEND = "gmail.users.messages.send"

Step = Callable[[Harness], None]


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """SQLite only: the calls are Google's, the same whichever database misena keeps."""
    return sqlite_url(tmp_path)


def _start(harness: Harness) -> Any:
    return harness.clock() - timedelta(days=10)


def _enrolled(harness: Harness) -> None:
    """The apprentice's account, made in ficha 2758392 ten days ago (and its group)."""
    harness.deliver(enrolled(_start(harness)))


def _day(harness: Harness, days: int = 1) -> Any:
    return _start(harness) + timedelta(days=days)


def _updated(**fields: Any) -> Step:
    return lambda harness: harness.deliver(person_updated(_day(harness), who=person(**fields)))


def _past_grace(harness: Harness) -> None:
    harness.clock.advance(days=200)


def _sweep_later(harness: Harness) -> None:
    """Past every grace period: the sweep, not an event, queues the person."""
    _past_grace(harness)
    harness.sweep()
    harness.drain()


def _withdrawn_after_grace(harness: Harness) -> None:
    _enrolled(harness)
    harness.deliver(status_changed(_day(harness), "CANCELADO"))
    _sweep_later(harness)


def _instructor_of_ficha(harness: Harness) -> None:
    harness.deliver(
        roles_changed(_day(harness), ["APRENDIZ", "INSTRUCTOR"], ["APRENDIZ"], fichas=["2758392"])
    )


def _left_the_group_outside_misena(harness: Harness) -> None:
    harness.services.directory.remove_member(FICHA, ADDRESS)  # an admin, by hand


def _certified(harness: Harness) -> None:
    harness.deliver(status_changed(_day(harness), "CERTIFICADO"))


def _next_update_refused(harness: Harness) -> None:
    """Google refuses the next write with a 400 that does not name the org unit."""
    rule = {"method": UPDATE, "status": 400, "reason": "invalid", "message": "Invalid Input", "times": 1}
    harness.emulator.set_faults([rule])


def _staff(action: str, *args: str) -> Step:
    def act(harness: Harness) -> None:
        person_id = harness.person(KEY).id
        getattr(harness.services.staff, action)(person_id, ACTOR, *args)
        harness.drain()

    return act


def _both(*steps: Step) -> Step:
    def run(harness: Harness) -> None:
        for step in steps:
            step(harness)

    return run


@dataclass(frozen=True)
class Case:
    outcome: str
    scene: Step
    act: Step
    calls: dict[str, int]
    #: The outcome happens in a process that has not seen its org unit or group yet.
    fresh_process: bool = False
    seed_org_units: list[str] = field(default_factory=list)
    #: What must hold of the account afterwards, read once the calls are counted.
    then: Step | None = None


def _account_is(harness: Harness, **expected: Any) -> None:
    account = harness.get_user(ADDRESS)
    assert account is not None
    actual = {
        "suspended": account["suspended"],
        "org_unit": account["orgUnitPath"],
        "given_name": account["name"]["givenName"],
    }
    assert {name: actual[name] for name in expected} == expected


CASES = [
    Case(
        "new account, the first of a tenant without its org unit",
        lambda h: None,
        _enrolled,
        {
            f"{INSERT} 400": 1,
            OU_INSERT: 2,
            INSERT: 1,
            f"{JOIN} 404": 1,
            GROUP_INSERT: 1,
            JOIN: 1,
            SEND: 1,
        },
        then=lambda h: _account_is(h, org_unit=APPRENTICES),
    ),
    Case(
        "new account",
        lambda h: h.deliver(enrolled(_start(h), who=OTHER)),
        _enrolled,
        {INSERT: 1, JOIN: 1, SEND: 1},
    ),
    Case(
        "new account, first of its unit and ficha in this process",
        lambda h: h.deliver(enrolled(_start(h), who=OTHER)),
        _enrolled,
        {INSERT: 1, JOIN: 1, SEND: 1},
        fresh_process=True,
    ),
    Case("no-op reconcile (IT staff asks)", _enrolled, _staff("reconcile", "check"), {GET: 1}),
    Case("no-op reconcile (Sofia repeats the person)", _enrolled, _updated(), {GET: 1}),
    Case("name change", _enrolled, _updated(first_names="MARÍA FERNANDA"), {GET: 1, UPDATE: 1}),
    Case(
        "recovery email change", _enrolled, _updated(personal_email="otra@example.com"), {GET: 1, UPDATE: 1}
    ),
    Case("recovery phone change", _enrolled, _updated(mobile_phone="311 555 0000"), {GET: 1, UPDATE: 1}),
    Case(
        "rename (TI to CC)",
        _enrolled,
        lambda h: h.deliver(
            person_updated(_day(h), who=person("1.000.123.456", "CC"), previous=("TI", "1.098.765.432"))
        ),
        {GET: 1, UPDATE: 1},
    ),
    Case(
        "move to an org unit Google has (certified)",
        _enrolled,
        lambda h: h.deliver(status_changed(_day(h), "CERTIFICADO")),
        {GET: 1, UPDATE: 1, LEAVE: 1},
        seed_org_units=[GRADUATES],
    ),
    Case(
        "move to an org unit Google lacks (certified)",
        _enrolled,
        lambda h: h.deliver(status_changed(_day(h), "CERTIFICADO")),
        {GET: 1, f"{UPDATE} 400": 1, OU_INSERT: 2, UPDATE: 1, LEAVE: 1},
        then=lambda h: _account_is(h, org_unit=GRADUATES),
    ),
    Case(
        "move to an org unit Google has, the write refused worded otherwise",
        _enrolled,
        _both(_next_update_refused, _certified),
        {GET: 1, f"{UPDATE} 400": 1, OU_GET: 1, UPDATE: 1, LEAVE: 1},
        seed_org_units=[GRADUATES],
        then=lambda h: _account_is(h, org_unit=GRADUATES),
    ),
    Case(
        "ficha group change, group known",
        _both(_enrolled, lambda h: h.deliver(enrolled(_start(h), ficha="3100200", who=OTHER))),
        lambda h: h.deliver(enrolled(_day(h), ficha="3100200")),
        {GET: 1, UPDATE: 1, JOIN: 1},
    ),
    Case(
        "ficha group change, new group",
        _enrolled,
        lambda h: h.deliver(enrolled(_day(h), ficha="3100200")),
        {GET: 1, UPDATE: 1, f"{JOIN} 404": 1, GROUP_INSERT: 1, JOIN: 1},
    ),
    Case(
        "ficha role change (the apprentice becomes its instructor)",
        _enrolled,
        _instructor_of_ficha,
        {GET: 1, UPDATE: 1, ROLE: 1},
        seed_org_units=[INSTRUCTORS],
        then=lambda h: _member_is(h, "MANAGER"),
    ),
    Case(
        "ficha role change, the member having left the group outside misena",
        _both(_enrolled, _left_the_group_outside_misena),
        _instructor_of_ficha,
        {GET: 1, UPDATE: 1, f"{ROLE} 404": 1, JOIN: 1},
        seed_org_units=[INSTRUCTORS],
        then=lambda h: _member_is(h, "MANAGER"),
    ),
    Case(
        "suspension (withdrawal after grace)",
        _both(_enrolled, lambda h: h.deliver(status_changed(_day(h), "CANCELADO"))),
        _sweep_later,
        {GET: 1, UPDATE: 1},
        then=lambda h: _account_is(h, suspended=True),
    ),
    Case(
        "suspension and a name change in one reconcile",
        _both(_enrolled, lambda h: h.deliver(status_changed(_day(h), "CANCELADO"))),
        _both(_past_grace, _updated(first_names="MARÍA FERNANDA")),
        {GET: 1, UPDATE: 1},
        then=lambda h: _account_is(h, suspended=True, given_name="María Fernanda"),
    ),
    Case(
        "suspension (graduation after grace)",
        _both(_enrolled, lambda h: h.deliver(status_changed(_day(h), "CERTIFICADO"))),
        _sweep_later,
        {GET: 1, UPDATE: 1},
    ),
    Case(
        "reactivation (enrolled again)",
        _withdrawn_after_grace,
        lambda h: h.deliver(enrolled(h.clock() - timedelta(hours=1), ficha="3100200")),
        {GET: 1, UPDATE: 1, f"{JOIN} 404": 1, GROUP_INSERT: 1, JOIN: 1},
        then=lambda h: _account_is(h, suspended=False, org_unit=APPRENTICES),
    ),
    Case("suspension by IT staff", _enrolled, _staff("suspend", "uso indebido"), {GET: 1, UPDATE: 1}),
    Case(
        "IT staff lift their suspension",
        _both(_enrolled, _staff("suspend", "uso indebido")),
        _staff("unsuspend", "aclarado"),
        {GET: 1, UPDATE: 1},
    ),
    Case(
        "credentials resend", _enrolled, _staff("resend_credentials", "perdió la clave"), {UPDATE: 1, SEND: 1}
    ),
    Case(
        "credentials once a personal email arrives",
        lambda h: h.deliver(enrolled(_start(h), who=person(personal_email=None))),
        _updated(),
        {GET: 1, UPDATE: 2, SEND: 1},
    ),
]


def _calls(harness: Harness) -> dict[str, int]:
    counted: dict[str, dict[str, int]] = harness.emulator.counters()["calls"]
    calls: dict[str, int] = {}
    for method, by_status in counted.items():
        for status, count in by_status.items():
            calls[method if status.startswith("2") else f"{method} {status}"] = count
    return calls


def _member_is(harness: Harness, role: str) -> None:
    assert harness.members(FICHA) == {ADDRESS: role}


@pytest.mark.parametrize("case", CASES, ids=[case.outcome for case in CASES])
def test_calls_per_outcome(make_harness: HarnessFactory, case: Case) -> None:
    harness = make_harness()
    if case.seed_org_units:
        harness.emulator.seed(org_units=case.seed_org_units)
    case.scene(harness)
    if case.fresh_process:  # another process on the same database: nothing cached yet
        harness = make_harness(clock=FrozenClock(harness.clock()))
    harness.emulator.clear_counters()
    case.act(harness)
    assert _calls(harness) == case.calls
    if case.then is not None:
        case.then(harness)
