"""Directory ``members.get``/``patch``/``update``, and membership across a user rename."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.google_bodies import DOMAIN, expect_error, new_user
from workspace.emulator.control_client import EmulatorControl

GROUP = f"ficha-7@{DOMAIN}"
ANA = f"ana@{DOMAIN}"
LUIS = f"luis@{DOMAIN}"


@pytest.fixture
def members(emulator: EmulatorControl, admin_sdk: Any) -> Any:
    """``members()`` of a group holding ana (MEMBER) and luis (MANAGER); pedro exists outside it."""
    emulator.seed(users=[new_user("ana"), new_user("luis"), new_user("pedro")])
    admin_sdk.groups().insert(body={"email": GROUP, "name": "Ficha 7"}).execute()
    resource = admin_sdk.members()
    resource.insert(groupKey=GROUP, body={"email": ANA}).execute()
    resource.insert(groupKey=GROUP, body={"email": LUIS, "role": "MANAGER"}).execute()
    return resource


def roles(members: Any) -> dict[str, str]:
    return {m["email"]: m["role"] for m in members.list(groupKey=GROUP).execute()["members"]}


def test_get_returns_the_member_by_address_or_id(members: Any, admin_sdk: Any) -> None:
    found = members.get(groupKey=GROUP, memberKey="Luis@" + DOMAIN).execute()
    user_id = admin_sdk.users().get(userKey=LUIS).execute()["id"]

    assert found["kind"] == "admin#directory#member"
    assert (found["email"], found["role"], found["type"], found["id"]) == (LUIS, "MANAGER", "USER", user_id)
    assert members.get(groupKey=GROUP, memberKey=user_id).execute() == found
    group_id = admin_sdk.groups().get(groupKey=GROUP).execute()["id"]
    assert members.get(groupKey=group_id, memberKey=LUIS).execute() == found


def test_get_of_a_non_member_or_unknown_group_is_not_found(members: Any) -> None:
    expect_error(members.get(groupKey=GROUP, memberKey=f"pedro@{DOMAIN}"), 404, "notFound")
    expect_error(members.get(groupKey=GROUP, memberKey=f"nadie@{DOMAIN}"), 404, "notFound")
    expect_error(members.get(groupKey=f"nada@{DOMAIN}", memberKey=ANA), 404, "notFound")


def test_patch_changes_the_role_and_keeps_the_rest(members: Any, emulator: EmulatorControl) -> None:
    before = members.get(groupKey=GROUP, memberKey=ANA).execute()

    patched = members.patch(groupKey=GROUP, memberKey=ANA, body={"role": "OWNER"}).execute()

    assert patched == {**before, "role": "OWNER"}
    assert members.get(groupKey=GROUP, memberKey=ANA).execute()["role"] == "OWNER"
    assert roles(members) == {ANA: "OWNER", LUIS: "MANAGER"}
    assert emulator.calls("directory.members.patch") == 1


def test_patch_without_a_role_keeps_it_and_changes_delivery(members: Any) -> None:
    patched = members.patch(groupKey=GROUP, memberKey=LUIS, body={"delivery_settings": "DIGEST"}).execute()

    assert (patched["role"], patched["delivery_settings"]) == ("MANAGER", "DIGEST")
    assert members.get(groupKey=GROUP, memberKey=LUIS).execute()["delivery_settings"] == "DIGEST"


def test_update_changes_the_role_too(members: Any, emulator: EmulatorControl) -> None:
    updated = members.update(groupKey=GROUP, memberKey=LUIS, body={"email": LUIS, "role": "MEMBER"}).execute()

    assert (updated["email"], updated["role"]) == (LUIS, "MEMBER")
    assert roles(members) == {ANA: "MEMBER", LUIS: "MEMBER"}
    assert emulator.calls("directory.members.update") == 1


def test_patch_of_a_non_member_is_not_found(members: Any) -> None:
    expect_error(
        members.patch(groupKey=GROUP, memberKey=f"pedro@{DOMAIN}", body={"role": "OWNER"}), 404, "notFound"
    )
    expect_error(
        members.update(groupKey=GROUP, memberKey=f"nadie@{DOMAIN}", body={"role": "OWNER"}), 404, "notFound"
    )


def test_an_invalid_role_is_refused_and_nothing_changes(members: Any) -> None:
    error = expect_error(members.patch(groupKey=GROUP, memberKey=ANA, body={"role": "ADMIN"}), 400, "invalid")
    assert b"Invalid Input: role" in error.content
    expect_error(members.update(groupKey=GROUP, memberKey=ANA, body={"role": "JEFE"}), 400, "invalid")
    expect_error(members.patch(groupKey=GROUP, memberKey=ANA, body={"rol": "OWNER"}), 400, "invalid")

    assert roles(members) == {ANA: "MEMBER", LUIS: "MANAGER"}


def test_a_rename_keeps_the_membership(members: Any, admin_sdk: Any) -> None:
    renamed = f"ana.maria@{DOMAIN}"
    user_id = admin_sdk.users().get(userKey=ANA).execute()["id"]

    admin_sdk.users().update(userKey=ANA, body={"primaryEmail": renamed}).execute()

    assert roles(members) == {renamed: "MEMBER", LUIS: "MANAGER"}
    for key in (renamed, ANA, user_id):
        assert members.hasMember(groupKey=GROUP, memberKey=key).execute() == {"isMember": True}, key
        found = members.get(groupKey=GROUP, memberKey=key).execute()
        assert (found["email"], found["id"]) == (renamed, user_id), key
    assert admin_sdk.groups().get(groupKey=GROUP).execute()["directMembersCount"] == "2"
    expect_error(members.insert(groupKey=GROUP, body={"email": ANA}), 409, "duplicate")

    members.delete(groupKey=GROUP, memberKey=renamed).execute()

    assert roles(members) == {LUIS: "MANAGER"}
    assert members.hasMember(groupKey=GROUP, memberKey=ANA).execute() == {"isMember": False}


def test_a_rename_by_patch_moves_every_group_and_touches_no_one_else(members: Any, admin_sdk: Any) -> None:
    other = f"ficha-8@{DOMAIN}"
    admin_sdk.groups().insert(body={"email": other, "name": "Ficha 8"}).execute()
    members.insert(groupKey=other, body={"email": LUIS, "role": "OWNER"}).execute()
    members.insert(groupKey=other, body={"email": "externo@example.com"}).execute()
    renamed = f"luis.perez@{DOMAIN}"

    admin_sdk.users().patch(userKey=LUIS, body={"primaryEmail": renamed}).execute()

    assert roles(members) == {ANA: "MEMBER", renamed: "MANAGER"}
    listed = members.list(groupKey=other).execute()["members"]
    assert sorted((m["email"], m["role"]) for m in listed) == [
        ("externo@example.com", "MEMBER"),
        (renamed, "OWNER"),
    ]
    assert (
        members.patch(groupKey=other, memberKey=LUIS, body={"role": "MEMBER"}).execute()["email"] == renamed
    )
