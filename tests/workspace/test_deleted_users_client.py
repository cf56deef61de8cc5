"""Our client's deleted-user lookup and restore, against the emulator over real HTTP.

The users are deleted the way an admin does it (``users.delete`` through the real client
library): misena itself never deletes anyone.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from tests.support.fast_retry import FAST_RETRY, SleepRecorder
from tests.support.google import ADMIN, SOFIA_SCHEMA, new_user
from workspace.directory import GoogleDirectory
from workspace.emulator.control_client import EmulatorControl
from workspace.errors import AlreadyExists, InvalidRequest, NotFound
from workspace.google_session import GoogleConnection, ServiceFactory

LIST = "directory.users.list"
UNDELETE = "directory.users.undelete"
ADDRESS = "1098765432@misena.edu.co"
DAY = 86_400.0


@pytest.fixture
def tenant(emulator: EmulatorControl) -> EmulatorControl:
    emulator.seed(
        org_units=["/Aprendices/Distrito Capital", "/Egresados/Distrito Capital"], schemas=[SOFIA_SCHEMA]
    )
    emulator.freeze_clock()
    return emulator


def delete(admin_sdk: Any, key: str) -> None:
    admin_sdk.users().delete(userKey=key).execute()


def test_a_deleted_user_is_found_by_id_in_one_masked_call(
    tenant: EmulatorControl, directory: GoogleDirectory, admin_sdk: Any
) -> None:
    created = directory.create_user(new_user())
    other = directory.create_user(new_user("52123456"))
    delete(admin_sdk, other.id)
    delete(admin_sdk, created.id)
    tenant.clear_counters()

    found = directory.find_deleted_user(user_id=created.id)

    assert found is not None
    assert (found.id, found.primary_email, found.org_unit_path) == (
        created.id,
        ADDRESS,
        "/Aprendices/Distrito Capital",
    )
    assert found.deletion_time is not None
    assert tenant.calls(LIST) == 1


def test_by_address_the_most_recently_deleted_one_is_chosen(
    tenant: EmulatorControl, directory: GoogleDirectory, admin_sdk: Any
) -> None:
    first = directory.create_user(new_user())
    delete(admin_sdk, ADDRESS)
    tenant.advance_clock(60)
    second = directory.create_user(new_user())
    delete(admin_sdk, ADDRESS)

    found = directory.find_deleted_user(primary_email=ADDRESS.upper())

    assert found is not None
    assert found.id == second.id != first.id
    assert directory.find_deleted_user(primary_email="52123456@misena.edu.co") is None


def test_the_lookup_pages_until_it_finds_the_id(
    tenant: EmulatorControl, directory: GoogleDirectory, admin_sdk: Any
) -> None:
    bodies = [new_user(f"7{n:05d}").to_body() for n in range(501)]
    tenant.seed(users=bodies)
    listed = admin_sdk.users().list(customer="my_customer", maxResults=500, query="email:7*").execute()
    for user in listed["users"]:
        delete(admin_sdk, user["id"])
    last = directory.get_user("700500@misena.edu.co")
    assert last is not None
    delete(admin_sdk, last.id)  # sorts last by address: on the second page
    tenant.clear_counters()

    found = directory.find_deleted_user(user_id=last.id)

    assert found is not None
    assert found.id == last.id
    assert tenant.calls(LIST) == 2
    assert directory.find_deleted_user(user_id="100000000000000099999") is None


def test_a_purged_user_is_not_found(
    tenant: EmulatorControl, directory: GoogleDirectory, admin_sdk: Any
) -> None:
    created = directory.create_user(new_user())
    delete(admin_sdk, created.id)

    tenant.advance_clock(20 * DAY)

    assert directory.find_deleted_user(user_id=created.id) is None
    with pytest.raises(NotFound):
        directory.undelete_user(created.id, "/")


def test_undelete_restores_the_same_account_with_its_password(
    tenant: EmulatorControl, directory: GoogleDirectory, admin_sdk: Any
) -> None:
    created = directory.create_user(new_user())
    directory.set_password(ADDRESS, SecretStr("Otra-Clave-2026"))
    delete(admin_sdk, ADDRESS)

    directory.undelete_user(created.id, "/Egresados/Distrito Capital")

    restored = directory.get_user(ADDRESS)
    assert restored is not None
    assert (restored.id, restored.org_unit_path) == (created.id, "/Egresados/Distrito Capital")
    assert restored.custom_schemas["SofiaPlus"]["documentNumber"] == "1098765432"
    assert tenant.password_valid(ADDRESS, "Otra-Clave-2026")
    with pytest.raises(NotFound):  # what a retry after a lost answer sees
        directory.undelete_user(created.id, "/")


def test_undelete_when_the_address_was_taken_is_already_exists(
    tenant: EmulatorControl, directory: GoogleDirectory, admin_sdk: Any
) -> None:
    created = directory.create_user(new_user())
    delete(admin_sdk, ADDRESS)
    directory.create_user(new_user())

    with pytest.raises(AlreadyExists):
        directory.undelete_user(created.id, "/")
    with pytest.raises(InvalidRequest):
        directory.undelete_user(created.id, "/No/Existe")


@pytest.mark.parametrize(
    ("method", "status", "reason"),
    [
        (UNDELETE, 503, "backendError"),
        (UNDELETE, 403, "userRateLimitExceeded"),
        (LIST, 429, "rateLimitExceeded"),
    ],
)
def test_lookup_and_restore_ride_out_google_faults(
    tenant: EmulatorControl,
    directory: GoogleDirectory,
    admin_sdk: Any,
    sleeps: SleepRecorder,
    method: str,
    status: int,
    reason: str,
) -> None:
    created = directory.create_user(new_user())
    delete(admin_sdk, ADDRESS)
    tenant.set_faults([{"method": method, "status": status, "reason": reason, "times": 2}])

    found = directory.find_deleted_user(user_id=created.id)
    assert found is not None
    directory.undelete_user(found.id, "/Aprendices/Distrito Capital")

    assert directory.get_user(ADDRESS) is not None
    assert tenant.calls(method, status) == 2
    assert len(sleeps.waits) == 2


def test_a_restored_user_still_propagating_is_waited_for_not_taken_as_gone(
    emulator: EmulatorControl, directory: GoogleDirectory, admin_sdk: Any, connection: GoogleConnection
) -> None:
    """Like a new user, a restored one answers 404 for a moment: right after our undelete that
    is propagation, so the read back waits for it instead of reporting the user missing."""
    emulator.seed(org_units=["/Aprendices/Distrito Capital"], schemas=[SOFIA_SCHEMA])
    created = directory.create_user(new_user())
    delete(admin_sdk, ADDRESS)
    fresh = GoogleDirectory(ServiceFactory(connection), ADMIN, retry=FAST_RETRY)  # another process
    emulator.configure(consistency_delay_seconds=0.2)

    fresh.undelete_user(created.id, "/Aprendices/Distrito Capital")
    restored = fresh.get_user(created.id)

    assert restored is not None
    assert restored.id == created.id
    assert emulator.calls("directory.users.get", 404) >= 1
