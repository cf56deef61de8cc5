"""Google's quota is the ceiling on how fast accounts appear, so each outcome costs the fewest
Directory calls the API allows, counted by the emulator (real HTTP, the real client library).

A new person whose records say they never had an account is created first and read only on a
conflict: ``users.insert`` answering 409 means "it exists: read it and reconcile", so asking
``users.get`` beforehand (404 nearly always, for a new enrollment) is a wasted call of every
new account's budget. Org units are not looked up at all (the insert is the check, see
``app.accounts.org_units``) and the ficha group once per process, not per account: N new
apprentices of one ficha cost N inserts and N memberships, plus a constant. Every other
outcome's calls are counted in ``test_calls_per_outcome``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from app.accounts.ficha_groups import FichaGroups
from app.db.models import Person
from app.db.states import AccountStatus
from sofia_sync.policy import FichaGroup
from tests.support.harness import Harness, enrollment

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


def test_threads_meeting_a_new_ficha_at_once_look_its_group_up_once(harness: Harness) -> None:
    """Sixteen worker threads reaching a new ficha's first apprentices together: one
    ``groups.get`` (and one create) between them, the others wait for its answer."""
    harness.emulator.configure(latency_ms=50)
    groups = FichaGroups(harness.services.directory)
    group = FichaGroup(email="ficha-2999999@misena.edu.co", name="Ficha 2999999", role="MEMBER")
    harness.emulator.clear_counters()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda _: groups.ensure(group), range(16)))
    calls = _directory_calls(harness)
    assert calls == {"directory.groups.get": 1, "directory.groups.insert": 1}
