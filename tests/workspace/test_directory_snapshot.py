"""``GoogleDirectory.snapshot_users``: the whole tenant by ``users.list`` pages only, through the
real client and the emulator — complete, deduplicated, trimmed to the fields a plan reads, and
within the call budget ``ceil(users / page) + chains``."""

from __future__ import annotations

import math
import random
import threading
from collections import Counter
from collections.abc import Hashable, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.google import ADMIN, DOMAIN
from tests.support.google_bodies import SOFIA_SCHEMA, new_user
from workspace.directory import GoogleDirectory
from workspace.emulator.control_client import EmulatorControl
from workspace.errors import InvalidRequest
from workspace.snapshot_reader import SnapshotCancelledError, chains_for
from workspace.user_snapshot import USER_FIELDS

LIST = "directory.users.list"
OTHER_SCHEMA: dict[str, Any] = {
    "schemaName": "Otro",
    "displayName": "Otro",
    "fields": [{"fieldName": "nota", "fieldType": "STRING"}],
}
#: Top-level keys USER_FIELDS lets through.
KEPT = {name.split("(")[0] for name in USER_FIELDS.replace("(givenName,familyName)", "").split(",")}


def document_addresses(count: int, seed: int = 7) -> list[str]:
    """Document-number locals like SENA's (6 to 10 digits, any leading digit but 0)."""
    rng = random.Random(seed)
    locals_: set[str] = set()
    while len(locals_) < count:
        digits = rng.randint(6, 10)
        locals_.add(str(rng.randrange(10 ** (digits - 1), 10**digits)))
    return sorted(f"{local}@{DOMAIN}" for local in locals_)


def seed_tenant(emulator: EmulatorControl, addresses: list[str]) -> None:
    users = [
        new_user(
            address.split("@")[0],
            customSchemas={
                "SofiaPlus": {"documentNumber": address.split("@")[0]},
                "Otro": {"nota": "no la lee el plan"},
            },
        )
        for address in addresses
    ]
    emulator.seed(schemas=[SOFIA_SCHEMA, OTHER_SCHEMA], users=users)


def every_id(directory: GoogleDirectory) -> set[str]:
    return {user.id for user in directory.iter_users()}


@pytest.mark.parametrize("workers", [1, 3, 8])
def test_the_snapshot_holds_every_user_once_within_the_call_budget(
    emulator: EmulatorControl, directory: GoogleDirectory, workers: int
) -> None:
    staff = [f"{name}@{DOMAIN}" for name in ("soporte", "zz.mesa", "0800linea", "bienestar")]
    addresses = document_addresses(1_300) + staff
    seed_tenant(emulator, addresses)
    expected = every_id(directory)
    emulator.clear_counters()

    snapshot = directory.snapshot_users(custom_schema="SofiaPlus", workers=workers)

    assert {u["id"] for u in snapshot.raw_users()} == expected
    assert len(snapshot) == len(expected) == len(addresses) + 1  # + the admin
    calls = emulator.calls(LIST, 200)
    assert calls == snapshot.calls
    minimum = math.ceil(len(expected) / 500)
    if workers == 1:
        assert calls == minimum
    else:
        assert minimum <= calls <= minimum + len(chains_for(workers))


@pytest.mark.parametrize("workers", [1, 8])
def test_the_listing_counts_each_user_once_by_the_tally_it_is_given(
    emulator: EmulatorControl, directory: GoogleDirectory, workers: int
) -> None:
    """Counted while each page's JSON is in hand; overlapping chains list some users twice,
    and they still count once."""
    seed_tenant(emulator, document_addresses(1_300))

    def leading(user: Mapping[str, Any]) -> tuple[Hashable, ...]:
        return (str(user["primaryEmail"])[0], "all")

    snapshot = directory.snapshot_users(custom_schema="SofiaPlus", workers=workers, tally=leading)

    assert snapshot.tally is leading
    users = list(snapshot.raw_users())
    assert snapshot.tallies == Counter(str(u["primaryEmail"])[0] for u in users) + Counter(
        {"all": len(users)}
    )


def test_only_the_fields_a_plan_reads_and_only_misenas_schema_come_back(
    emulator: EmulatorControl, directory: GoogleDirectory
) -> None:
    seed_tenant(emulator, document_addresses(20))

    snapshot = directory.snapshot_users(custom_schema="SofiaPlus", workers=2)

    for user in snapshot.raw_users():
        assert set(user) <= KEPT, set(user) - KEPT
        assert set(user.get("customSchemas", {})) <= {"SofiaPlus"}
    learner = next(u for u in snapshot.raw_users() if not u.get("isAdmin"))
    assert learner["customSchemas"]["SofiaPlus"]["documentNumber"] == learner["primaryEmail"].split("@")[0]
    assert set(learner["name"]) == {"givenName", "familyName"}


def test_find_by_id_by_address_and_by_alias_after_a_rename(
    emulator: EmulatorControl, directory: GoogleDirectory
) -> None:
    seed_tenant(emulator, [f"1012345678@{DOMAIN}", f"52987654@{DOMAIN}"])
    renamed = directory.rename_user(f"1012345678@{DOMAIN}", f"1012345679@{DOMAIN}")

    snapshot = directory.snapshot_users(custom_schema="SofiaPlus", workers=4)

    by_old = snapshot.find(f"1012345678@{DOMAIN.upper()}")
    assert by_old is not None
    assert by_old.id == renamed.id
    assert by_old.primary_email == f"1012345679@{DOMAIN}"
    assert f"1012345678@{DOMAIN}" in by_old.aliases
    by_id = snapshot.find("nobody@example.com", renamed.id)
    assert by_id is not None
    assert by_id.primary_email == by_old.primary_email
    admin = snapshot.find(ADMIN)
    assert admin is not None
    assert admin.is_admin
    assert snapshot.find(f"999@{DOMAIN}") is None
    assert snapshot.find(f"999@{DOMAIN}", "no-such-id") is None


def test_a_failing_page_fails_the_whole_snapshot(
    emulator: EmulatorControl, directory: GoogleDirectory
) -> None:
    """Half a tenant would turn into mass creations and suspensions: no partial snapshot."""
    seed_tenant(emulator, document_addresses(600))
    emulator.set_faults([{"method": LIST, "status": 400, "reason": "invalid", "times": 1}])

    with pytest.raises(InvalidRequest):
        directory.snapshot_users(custom_schema="SofiaPlus", workers=4)


def test_a_retryable_page_failure_is_retried_and_the_snapshot_completes(
    emulator: EmulatorControl, directory: GoogleDirectory
) -> None:
    seed_tenant(emulator, document_addresses(600))
    expected = every_id(directory)
    emulator.set_faults([{"method": LIST, "status": 503, "reason": "backendError", "times": 3}])

    snapshot = directory.snapshot_users(custom_schema="SofiaPlus", workers=4)

    assert {u["id"] for u in snapshot.raw_users()} == expected


LOCAL = st.text(alphabet="0123456789abcz", min_size=1, max_size=4)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(locals_=st.sets(LOCAL, max_size=40), page_size=st.integers(1, 7), workers=st.integers(1, 12))
def test_any_tenant_any_page_size_is_covered_exactly(
    emulator: EmulatorControl,
    directory: GoogleDirectory,
    locals_: set[str],
    page_size: int,
    workers: int,
) -> None:
    emulator.reset()
    emulator.seed(users=[new_user(local) for local in sorted(locals_)])
    expected = every_id(directory)
    emulator.clear_counters()

    snapshot = directory.snapshot_users(custom_schema="SofiaPlus", workers=workers, page_size=page_size)

    assert {u["id"] for u in snapshot.raw_users()} == expected
    chains = len(chains_for(workers))
    assert snapshot.calls <= math.ceil(len(expected) / page_size) + chains


def test_a_cancelled_snapshot_stops_before_its_next_page(
    emulator: EmulatorControl, directory: GoogleDirectory
) -> None:
    """A plan whose roster cannot be read cancels the snapshot rather than finish 200 calls."""
    seed_tenant(emulator, document_addresses(50))
    emulator.clear_counters()
    cancel = threading.Event()
    cancel.set()

    with pytest.raises(SnapshotCancelledError):
        directory.snapshot_users(custom_schema="SofiaPlus", workers=4, cancel=cancel)

    assert emulator.calls(LIST) == 0
