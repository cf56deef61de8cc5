"""The Directory adapter against the emulator: every port method, through real HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from pydantic import SecretStr

from tests.support.google import SOFIA_SCHEMA, new_user
from workspace.directory import GoogleDirectory
from workspace.emulator.control_client import EmulatorControl
from workspace.errors import AlreadyExists, InvalidRequest, NotFound, SeatLimitReachedError
from workspace.models import GroupMember, UserChanges


@pytest.fixture
def tenant(emulator: EmulatorControl) -> EmulatorControl:
    emulator.seed(org_units=["/Aprendices/Distrito Capital", "/Instructores"], schemas=[SOFIA_SCHEMA])
    emulator.clear_counters()
    return emulator


def test_create_sends_every_field_in_one_insert(tenant: EmulatorControl, directory: GoogleDirectory) -> None:
    created = directory.create_user(new_user())

    assert tenant.calls("directory.users.insert") == 1
    assert tenant.calls("directory.users.update") == 0
    assert tenant.calls("directory.users.patch") == 0
    read = directory.get_user("1098765432@misena.edu.co")
    assert read is not None
    assert read.id == created.id
    assert read.name.given_name == "María José"
    assert read.name.family_name == "Peña de la Torre"
    assert read.org_unit_path == "/Aprendices/Distrito Capital"
    assert read.change_password_at_next_login is True
    assert read.recovery_email == "majo.pena@example.com"
    assert read.recovery_phone == "+573001234567"
    assert read.external_ids[0].value == "TI-1098765432"
    assert read.custom_schemas["SofiaPlus"]["documentType"] == "TI"
    assert tenant.password_valid("1098765432@misena.edu.co", "Temporal-2026-xyz")


def test_second_create_is_a_typed_already_exists(tenant: EmulatorControl, directory: GoogleDirectory) -> None:
    directory.create_user(new_user())
    with pytest.raises(AlreadyExists):
        directory.create_user(new_user())
    assert tenant.calls("directory.users.insert", 409) == 1


def test_refused_body_is_invalid_request_and_not_retried(
    tenant: EmulatorControl, directory: GoogleDirectory
) -> None:
    with pytest.raises(InvalidRequest):
        directory.create_user(new_user(org_unit_path="/No/Existe"))
    assert tenant.calls("directory.users.insert") == 1


def test_no_seat_left_is_a_typed_permanent_refusal_not_retried(
    tenant: EmulatorControl, directory: GoogleDirectory
) -> None:
    tenant.configure(user_seat_limit=len(list(directory.iter_users())))
    with pytest.raises(SeatLimitReachedError, match="Domain user limit reached"):
        directory.create_user(new_user())
    assert tenant.calls("directory.users.insert") == 1, "a 412 for seats is not a user still being made"


def test_missing_user_is_none(tenant: EmulatorControl, directory: GoogleDirectory) -> None:
    assert directory.get_user("999@misena.edu.co") is None


def test_update_changes_only_what_is_set(tenant: EmulatorControl, directory: GoogleDirectory) -> None:
    directory.create_user(new_user())
    updated = directory.update_user("1098765432@misena.edu.co", UserChanges(org_unit_path="/Instructores"))
    assert updated.org_unit_path == "/Instructores"
    assert updated.recovery_email == "majo.pena@example.com"


def test_rename_keeps_old_address_as_alias(tenant: EmulatorControl, directory: GoogleDirectory) -> None:
    directory.create_user(new_user())
    renamed = directory.rename_user("1098765432@misena.edu.co", "52123456@misena.edu.co")
    assert renamed.primary_email == "52123456@misena.edu.co"
    assert "1098765432@misena.edu.co" in renamed.aliases
    by_old = directory.get_user("1098765432@misena.edu.co")
    assert by_old is not None
    assert by_old.id == renamed.id


def test_suspend_and_reactivate(tenant: EmulatorControl, directory: GoogleDirectory) -> None:
    directory.create_user(new_user())
    assert directory.set_suspended("1098765432@misena.edu.co", True).suspended is True
    assert directory.set_suspended("1098765432@misena.edu.co", False).suspended is False


def test_set_password_really_changes_it(tenant: EmulatorControl, directory: GoogleDirectory) -> None:
    directory.create_user(new_user())
    directory.set_password("1098765432@misena.edu.co", SecretStr("Otra-Clave-2026"))
    assert tenant.password_valid("1098765432@misena.edu.co", "Otra-Clave-2026")
    assert not tenant.password_valid("1098765432@misena.edu.co", "Temporal-2026-xyz")
    user = directory.get_user("1098765432@misena.edu.co")
    assert user is not None
    assert user.change_password_at_next_login is True


def test_iter_users_pages_through_everyone(tenant: EmulatorControl, directory: GoogleDirectory) -> None:
    tenant.configure(limits_enabled=False)
    tenant.seed(
        users=[
            {
                "primaryEmail": f"{1_000_000 + i}@misena.edu.co",
                "name": {"givenName": "Aprendiz", "familyName": f"Número {i}"},
                "password": "Temporal-2026-xyz",
                "orgUnitPath": "/Aprendices/Distrito Capital",
            }
            for i in range(1_201)
        ]
    )
    tenant.clear_counters()
    seen = [u.primary_email for u in directory.iter_users("orgUnitPath='/Aprendices'")]
    assert len(seen) == 1_201
    assert len(set(seen)) == 1_201
    assert tenant.calls("directory.users.list") == 3


def test_ensure_org_unit_creates_missing_parents_once(
    tenant: EmulatorControl, directory: GoogleDirectory
) -> None:
    unit = directory.ensure_org_unit("/Egresados/Antioquia/Medellín")
    assert unit.org_unit_path == "/Egresados/Antioquia/Medellín"
    assert directory.get_org_unit("/Egresados/Antioquia") is not None
    inserts = tenant.calls("directory.orgunits.insert")
    directory.ensure_org_unit("/Egresados/Antioquia/Medellín")
    assert tenant.calls("directory.orgunits.insert") == inserts == 3


def test_group_membership(tenant: EmulatorControl, directory: GoogleDirectory) -> None:
    directory.create_user(new_user())
    group = directory.create_group("ficha-2758392@misena.edu.co", "Ficha 2758392")
    assert directory.get_group("ficha-2758392@misena.edu.co") == directory.get_group(group.id)
    assert directory.add_member(group.email, "1098765432@misena.edu.co") is True
    assert directory.add_member(group.email, "1098765432@misena.edu.co") is False
    assert directory.is_member(group.email, "1098765432@misena.edu.co") is True
    assert [m.email for m in directory.iter_members(group.email)] == ["1098765432@misena.edu.co"]
    assert directory.remove_member(group.email, "1098765432@misena.edu.co") is True
    assert directory.remove_member(group.email, "1098765432@misena.edu.co") is False
    assert directory.is_member(group.email, "1098765432@misena.edu.co") is False


def test_manager_role_is_kept(tenant: EmulatorControl, directory: GoogleDirectory) -> None:
    directory.create_user(new_user("80123456"))
    group = directory.create_group("ficha-1@misena.edu.co", "Ficha 1")
    directory.add_member(group.email, "80123456@misena.edu.co", role="MANAGER")
    assert [m.role for m in directory.iter_members(group.email)] == ["MANAGER"]


def test_get_member_reads_one_membership(tenant: EmulatorControl, directory: GoogleDirectory) -> None:
    created = directory.create_user(new_user("80123456"))
    directory.create_user(new_user("52123456"))
    group = directory.create_group("ficha-1@misena.edu.co", "Ficha 1")
    directory.add_member(group.email, "80123456@misena.edu.co", role="MANAGER")
    tenant.clear_counters()

    member = directory.get_member(group.email, "80123456@misena.edu.co")

    assert member == GroupMember(
        email="80123456@misena.edu.co", role="MANAGER", type="USER", id=created.id, status="ACTIVE"
    )
    assert directory.get_member(group.id, created.id) == member
    assert directory.get_member(group.email, "52123456@misena.edu.co") is None
    assert directory.get_member("nada@misena.edu.co", "80123456@misena.edu.co") is None
    # a 404 is an answer, not a delay: one call each, no retries even for a just-created user
    assert tenant.calls("directory.members.get") == 4
    assert tenant.calls("directory.members.get", 404) == 2


def test_set_member_role_patches_only_the_role(tenant: EmulatorControl, directory: GoogleDirectory) -> None:
    directory.create_user(new_user("80123456"))
    directory.create_user(new_user("52123456"))
    group = directory.create_group("ficha-1@misena.edu.co", "Ficha 1")
    directory.add_member(group.email, "80123456@misena.edu.co")
    tenant.clear_counters()

    updated = directory.set_member_role(group.email, "80123456@misena.edu.co", "OWNER")

    assert (updated.email, updated.role) == ("80123456@misena.edu.co", "OWNER")
    assert [(m.email, m.role) for m in directory.iter_members(group.email)] == [
        ("80123456@misena.edu.co", "OWNER")
    ]
    assert tenant.calls("directory.members.patch") == 1
    assert tenant.calls("directory.members.update") == 0
    assert [r["body"] for r in tenant.requests() if r["method"] == "directory.members.patch"] == [
        {"role": "OWNER"}
    ]
    with pytest.raises(NotFound):
        directory.set_member_role(group.email, "52123456@misena.edu.co", "MANAGER")
    assert tenant.calls("directory.members.patch", 404) == 1


def test_membership_follows_a_rename(tenant: EmulatorControl, directory: GoogleDirectory) -> None:
    directory.create_user(new_user())
    group = directory.create_group("ficha-2758392@misena.edu.co", "Ficha 2758392")
    directory.add_member(group.email, "1098765432@misena.edu.co", role="MANAGER")

    directory.rename_user("1098765432@misena.edu.co", "52123456@misena.edu.co")

    assert [(m.email, m.role) for m in directory.iter_members(group.email)] == [
        ("52123456@misena.edu.co", "MANAGER")
    ]
    assert directory.is_member(group.email, "1098765432@misena.edu.co") is True
    assert directory.is_member(group.email, "52123456@misena.edu.co") is True
    by_old = directory.get_member(group.email, "1098765432@misena.edu.co")
    assert by_old is not None
    assert by_old.email == "52123456@misena.edu.co"
    assert directory.set_member_role(group.email, "52123456@misena.edu.co", "MEMBER").role == "MEMBER"
    assert directory.remove_member(group.email, "52123456@misena.edu.co") is True
    assert directory.is_member(group.email, "1098765432@misena.edu.co") is False


def test_one_adapter_is_safe_to_share_between_threads(
    tenant: EmulatorControl, directory: GoogleDirectory
) -> None:
    """httplib2 is not thread-safe: the adapter must give each thread its own connection."""
    tenant.configure(limits_enabled=False)
    directory.create_user(new_user())

    def read(_: int) -> str:
        user = directory.get_user("1098765432@misena.edu.co")
        assert user is not None
        return user.id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(read, range(200)))
    assert len(ids) == 1
    assert tenant.calls("directory.users.get", 200) == 200
