"""Google's quota is the ceiling on how fast accounts appear, so each outcome costs the fewest
Directory calls the API allows, counted by the emulator (real HTTP, the real client library).

A new person whose records say they never had an account is created first and read only on a
conflict: ``users.insert`` answering 409 means "it exists: read it and reconcile", so asking
``users.get`` beforehand (404 nearly always, for a new enrollment) is a wasted call of every
new account's budget. Org units and ficha groups are not looked up at all (the insert is the
check, see ``app.accounts.org_units`` and ``app.accounts.ficha_groups``): N new apprentices of
one ficha cost N inserts and N memberships, plus a constant for a new ficha. Every other
outcome's calls are counted in ``test_calls_per_outcome``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from app.accounts.ficha_groups import FichaGroups
from app.db.models import Person
from app.db.states import AccountStatus
from sofia_sync.planner import JoinGroup
from sofia_sync.policy import FichaGroup
from tests.support.harness import Harness, enrollment
from workspace.errors import NotReady

PEOPLE = 6


def _directory_calls(harness: Harness) -> dict[str, int]:
    calls: dict[str, dict[str, int]] = harness.emulator.counters()["calls"]
    return {
        method: sum(by_status.values())
        for method, by_status in calls.items()
        if method.startswith("directory.")
    }


def test_new_accounts_cost_an_insert_and_a_membership_each(harness: Harness) -> None:
    harness.deliver(enrollment("1000000001", document_type="CC"))  # warms the org unit and group
    harness.emulator.clear_counters()
    harness.deliver(*(enrollment(f"20000000{n:02d}", document_type="CC") for n in range(PEOPLE)))
    calls = _directory_calls(harness)
    assert calls.pop("directory.users.insert") == PEOPLE
    assert calls.pop("directory.members.insert") == PEOPLE
    assert calls == {}, "no lookup before a create, no org unit or group checked again"


def test_an_account_made_outside_misena_is_read_after_the_conflict_and_adopted(harness: Harness) -> None:
    """Create-first never costs a second account: the 409 is read and planned like any account."""
    harness.deliver(enrollment("3000000001", document_type="CC"))
    address = "3000000001@misena.edu.co"
    first = harness.get_user(address)
    assert first is not None
    with harness.services.sessions.begin() as session:  # forget misena made it: as if made by GAM
        person = session.scalars(select(Person)).one()
        person.google_user_id, person.primary_email = None, None
        person.account_status = AccountStatus.PENDING
    harness.emulator.clear_counters()
    harness.deliver(enrollment("3000000001", document_type="CC", first_names="MARIA"))
    assert harness.emulator.calls("directory.users.insert", 409) == 1
    assert harness.get_user(address) is not None
    assert harness.person("CC:3000000001").google_user_id == first["id"]


def _join_all(groups: FichaGroups, group: FichaGroup, members: list[str]) -> None:
    with ThreadPoolExecutor(len(members)) as pool:
        list(pool.map(lambda member: groups.apply([JoinGroup(group)], member, None), members))


def test_threads_meeting_a_new_ficha_at_once_create_its_group_once_and_never_look_it_up(
    harness: Harness,
) -> None:
    """Sixteen worker threads reaching a new ficha's first apprentices together: the first
    insert's 404 ``groupKey`` creates the group, the others wait for that and insert once; no
    ``groups.get`` at all. A second process meeting the ficha (its own memory) pays nothing
    more than the insert either: the group exists, so the insert just succeeds."""
    harness.emulator.configure(latency_ms=50)
    group = FichaGroup(email="ficha-2999999@misena.edu.co", name="Ficha 2999999", role="MEMBER")
    harness.emulator.clear_counters()
    _join_all(FichaGroups(harness.services.directory), group, [f"a{n}@example.com" for n in range(16)])
    assert harness.emulator.calls("directory.members.insert", 404) == 1
    assert _directory_calls(harness) == {"directory.members.insert": 17, "directory.groups.insert": 1}
    harness.emulator.clear_counters()
    _join_all(FichaGroups(harness.services.directory), group, [f"b{n}@example.com" for n in range(4)])
    assert _directory_calls(harness) == {"directory.members.insert": 4}


def test_a_known_group_deleted_outside_misena_is_created_again(harness: Harness) -> None:
    groups = FichaGroups(harness.services.directory)
    group = FichaGroup(email="ficha-2888888@misena.edu.co", name="Ficha 2888888", role="MEMBER")
    groups.apply([JoinGroup(group)], "a@example.com", None)
    harness.emulator.reset()  # the group is gone, this process still remembers it
    harness.emulator.clear_counters()
    groups.apply([JoinGroup(group)], "b@example.com", None)
    assert _directory_calls(harness) == {"directory.members.insert": 2, "directory.groups.insert": 1}


def test_a_group_not_yet_visible_after_its_creation_retries_the_job_later(harness: Harness) -> None:
    """Google propagates a new group as it does a new user: the insert right after creating it
    can still answer 404 ``groupKey``. That is "not ready", so the job is retried, and the
    retry (the group now known to this process) is one insert."""
    harness.emulator.freeze_clock()
    harness.emulator.configure(consistency_delay_seconds=5.0)
    groups = FichaGroups(harness.services.directory)
    group = FichaGroup(email="ficha-2777777@misena.edu.co", name="Ficha 2777777", role="MEMBER")
    with pytest.raises(NotReady):
        groups.apply([JoinGroup(group)], "a@example.com", None)
    harness.emulator.advance_clock(5.0)
    harness.emulator.clear_counters()
    assert groups.apply([JoinGroup(group)], "a@example.com", None) == {group.email: "MEMBER"}
    assert _directory_calls(harness) == {"directory.members.insert": 1}
