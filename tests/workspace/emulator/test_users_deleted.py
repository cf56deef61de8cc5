"""Directory ``users.delete`` / ``users.list?showDeleted=true`` / ``users.undelete``, as Google
does them, through the unmodified client: a deleted user is gone from every lookup and frees
its address, stays restorable by id for 20 days (emulator clock), and comes back as it was."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.google_bodies import DOMAIN, directory_service, expect_error, new_user
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import EmulatorServer

PASSWORD = "Temporal-2026-xyz"
ADDRESS = f"1098765432@{DOMAIN}"
ALIAS = f"ti1098765432@{DOMAIN}"
GROUP = f"ficha-2758392@{DOMAIN}"
DAY = 86_400.0


@pytest.fixture
def tenant(emulator: EmulatorControl) -> EmulatorControl:
    emulator.seed(org_units=["/Aprendices/Distrito Capital", "/Egresados"])
    emulator.freeze_clock()
    return emulator


def create(admin_sdk: Any, **extra: Any) -> dict[str, Any]:
    body = new_user("1098765432", orgUnitPath="/Aprendices/Distrito Capital", **extra)
    created: dict[str, Any] = admin_sdk.users().insert(body=body).execute()
    return created


def deleted_users(admin_sdk: Any, **params: Any) -> list[dict[str, Any]]:
    answer = admin_sdk.users().list(customer="my_customer", showDeleted="true", **params).execute()
    users: list[dict[str, Any]] = answer.get("users", [])
    return users


def live_emails(admin_sdk: Any) -> list[str]:
    answer = admin_sdk.users().list(customer="my_customer").execute()
    return [u["primaryEmail"] for u in answer.get("users", [])]


def test_a_deleted_user_is_gone_from_every_lookup_and_frees_its_address(
    tenant: EmulatorControl, admin_sdk: Any
) -> None:
    user = create(admin_sdk)
    admin_sdk.users().update(userKey=ADDRESS, body={"primaryEmail": f"cc{ADDRESS}"}).execute()
    renamed = f"cc{ADDRESS}"  # the old address is now an alias
    admin_sdk.groups().insert(body={"email": GROUP, "name": "Ficha 2758392"}).execute()
    admin_sdk.members().insert(groupKey=GROUP, body={"email": renamed, "role": "MEMBER"}).execute()

    answer = admin_sdk.users().delete(userKey=renamed).execute()

    assert answer == "", "204 with an empty body, as Google answers"
    for key in (renamed, ADDRESS, user["id"]):
        expect_error(admin_sdk.users().get(userKey=key), 404, "notFound")
    assert renamed not in live_emails(admin_sdk)
    assert admin_sdk.members().list(groupKey=GROUP).execute().get("members", []) == []
    assert not tenant.password_valid(renamed, PASSWORD)
    reused = create(admin_sdk)  # the former alias is free for a new user
    assert reused["id"] != user["id"]
    assert tenant.calls("directory.users.delete", 204) == 1


def test_deleting_an_unknown_user_is_404(tenant: EmulatorControl, admin_sdk: Any) -> None:
    expect_error(admin_sdk.users().delete(userKey=f"nadie@{DOMAIN}"), 404, "notFound")
    assert tenant.calls("directory.users.delete", 404) == 1


def test_show_deleted_lists_only_deleted_users_and_ignores_query(
    tenant: EmulatorControl, admin_sdk: Any
) -> None:
    first = create(admin_sdk)
    admin_sdk.users().delete(userKey=first["id"]).execute()
    second = create(admin_sdk)  # the same address, deleted twice: two deleted users
    admin_sdk.users().delete(userKey=ADDRESS).execute()
    admin_sdk.users().insert(body=new_user("52123456")).execute()

    listed = deleted_users(admin_sdk, query="email:52123456*", projection="full")

    assert sorted(u["id"] for u in listed) == sorted([first["id"], second["id"]])
    assert {u["primaryEmail"] for u in listed} == {ADDRESS}
    assert all(u["deletionTime"].endswith("Z") for u in listed)
    assert f"52123456@{DOMAIN}" in live_emails(admin_sdk)
    assert ADDRESS not in live_emails(admin_sdk)
    masked = deleted_users(admin_sdk, fields="users(id,primaryEmail,deletionTime)")
    assert all(set(u) == {"id", "primaryEmail", "deletionTime"} for u in masked)


def test_deleted_users_page_like_live_ones(tenant: EmulatorControl, admin_sdk: Any) -> None:
    for n in range(3):
        user = admin_sdk.users().insert(body=new_user(f"retirado{n}")).execute()
        admin_sdk.users().delete(userKey=user["id"]).execute()

    first = admin_sdk.users().list(customer="my_customer", showDeleted="true", maxResults=2).execute()
    rest = (
        admin_sdk.users()
        .list(customer="my_customer", showDeleted="true", maxResults=2, pageToken=first["nextPageToken"])
        .execute()
    )

    pages = [[u["primaryEmail"] for u in page["users"]] for page in (first, rest)]
    assert pages == [[f"retirado0@{DOMAIN}", f"retirado1@{DOMAIN}"], [f"retirado2@{DOMAIN}"]]
    assert "nextPageToken" not in rest


def test_undelete_restores_the_same_user_into_the_org_unit_given(
    tenant: EmulatorControl, admin_sdk: Any
) -> None:
    user = create(admin_sdk, suspended=True)
    admin_sdk.users().update(userKey=ADDRESS, body={"primaryEmail": f"cc{ADDRESS}"}).execute()
    admin_sdk.groups().insert(body={"email": GROUP, "name": "Ficha 2758392"}).execute()
    admin_sdk.members().insert(groupKey=GROUP, body={"email": user["id"], "role": "MANAGER"}).execute()
    admin_sdk.users().delete(userKey=user["id"]).execute()

    answer = admin_sdk.users().undelete(userKey=user["id"], body={"orgUnitPath": "/Egresados"}).execute()

    assert answer == ""
    restored = admin_sdk.users().get(userKey=ADDRESS, projection="full").execute()  # by the alias
    assert restored["id"] == user["id"]
    assert restored["primaryEmail"] == f"cc{ADDRESS}"
    assert restored["aliases"] == [ADDRESS]
    assert restored["orgUnitPath"] == "/Egresados"
    assert restored["suspended"] is True, "a restore keeps the suspension"
    assert "deletionTime" not in restored
    assert tenant.password_valid(f"cc{ADDRESS}", PASSWORD), "and the password"
    members = admin_sdk.members().list(groupKey=GROUP).execute()["members"]
    assert [(m["email"], m["role"]) for m in members] == [(f"cc{ADDRESS}", "MANAGER")]
    assert deleted_users(admin_sdk) == []
    assert tenant.calls("directory.users.undelete", 204) == 1
    logged = [r["body"] for r in tenant.requests() if r["method"] == "directory.users.undelete"]
    assert logged == [{"orgUnitPath": "/Egresados"}]


def test_undelete_without_an_org_unit_restores_into_the_root(tenant: EmulatorControl, admin_sdk: Any) -> None:
    user = create(admin_sdk)
    admin_sdk.users().delete(userKey=ADDRESS).execute()

    admin_sdk.users().undelete(userKey=user["id"], body={}).execute()

    assert admin_sdk.users().get(userKey=ADDRESS).execute()["orgUnitPath"] == "/"


def test_undelete_is_refused_when_the_address_was_given_away(tenant: EmulatorControl, admin_sdk: Any) -> None:
    user = create(admin_sdk)
    admin_sdk.users().delete(userKey=ADDRESS).execute()
    create(admin_sdk)

    expect_error(admin_sdk.users().undelete(userKey=user["id"], body={}), 409, "duplicate")

    assert [u["id"] for u in deleted_users(admin_sdk)] == [user["id"]], "still restorable later"


def test_undelete_is_refused_when_an_alias_went_to_a_group(tenant: EmulatorControl, admin_sdk: Any) -> None:
    user = create(admin_sdk)
    admin_sdk.users().update(userKey=ADDRESS, body={"primaryEmail": f"cc{ADDRESS}"}).execute()
    admin_sdk.users().delete(userKey=user["id"]).execute()
    admin_sdk.groups().insert(body={"email": ADDRESS, "name": "Taken"}).execute()

    expect_error(admin_sdk.users().undelete(userKey=user["id"], body={}), 409, "duplicate")


@pytest.mark.parametrize("key", ["address", "unknown-id", "live-id"])
def test_undelete_takes_only_a_deleted_users_id(tenant: EmulatorControl, admin_sdk: Any, key: str) -> None:
    user = create(admin_sdk)
    if key != "live-id":
        admin_sdk.users().delete(userKey=ADDRESS).execute()
    user_key = {"address": ADDRESS, "unknown-id": "100000000000000009999", "live-id": user["id"]}[key]

    expect_error(admin_sdk.users().undelete(userKey=user_key, body={}), 404, "notFound")


def test_undelete_into_an_unknown_org_unit_is_400(tenant: EmulatorControl, admin_sdk: Any) -> None:
    user = create(admin_sdk)
    admin_sdk.users().delete(userKey=ADDRESS).execute()

    expect_error(
        admin_sdk.users().undelete(userKey=user["id"], body={"orgUnitPath": "/Nada"}), 400, "invalid"
    )
    expect_error(admin_sdk.users().undelete(userKey=user["id"], body={"orgUnit": "/"}), 400, "invalid")


def test_a_deleted_user_is_purged_after_20_days_of_the_emulator_clock(
    tenant: EmulatorControl, admin_sdk: Any
) -> None:
    kept, purged = create(admin_sdk), admin_sdk.users().insert(body=new_user("52123456")).execute()
    admin_sdk.users().delete(userKey=purged["id"]).execute()
    tenant.advance_clock(DAY)
    admin_sdk.users().delete(userKey=kept["id"]).execute()

    tenant.advance_clock(19 * DAY)

    assert [u["id"] for u in deleted_users(admin_sdk)] == [kept["id"]]
    expect_error(admin_sdk.users().undelete(userKey=purged["id"], body={}), 404, "notFound")
    admin_sdk.users().undelete(userKey=kept["id"], body={}).execute()
    assert admin_sdk.users().get(userKey=ADDRESS).execute()["id"] == kept["id"]


def test_delete_and_undelete_need_the_read_write_user_scope(
    tenant: EmulatorControl, emulator_server: EmulatorServer, key_info: dict[str, Any], admin_sdk: Any
) -> None:
    user = create(admin_sdk)
    readonly = directory_service(emulator_server, key_info, "admin.directory.user.readonly")

    expect_error(readonly.users().delete(userKey=ADDRESS), 403, "insufficientPermissions")
    admin_sdk.users().delete(userKey=ADDRESS).execute()
    expect_error(readonly.users().undelete(userKey=user["id"], body={}), 403, "insufficientPermissions")
    assert [u["id"] for u in deleted_users(readonly)] == [user["id"]], "listing needs only read"
