"""Directory org units, groups and group members, through the real client library."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.google_bodies import DOMAIN, expect_error, new_user
from workspace.emulator.control_client import EmulatorControl

CUSTOMER = "my_customer"


def insert_org_unit(admin_sdk: Any, name: str, parent: str = "/") -> dict[str, Any]:
    body = {"name": name, "parentOrgUnitPath": parent}
    created: dict[str, Any] = admin_sdk.orgunits().insert(customerId=CUSTOMER, body=body).execute()
    return created


def paths(answer: dict[str, Any]) -> list[str]:
    return sorted(u["orgUnitPath"] for u in answer.get("organizationUnits", []))


def test_org_units_are_created_and_read_back(emulator: EmulatorControl, admin_sdk: Any) -> None:
    aprendices = insert_org_unit(admin_sdk, "Aprendices")
    capital = insert_org_unit(admin_sdk, "Distrito Capital", "/Aprendices")

    assert aprendices["orgUnitPath"] == "/Aprendices"
    assert aprendices["parentOrgUnitPath"] == "/"
    assert capital["orgUnitPath"] == "/Aprendices/Distrito Capital"
    assert capital["parentOrgUnitId"] == aprendices["orgUnitId"]
    assert capital["orgUnitId"].startswith("id:")
    by_path = (
        admin_sdk.orgunits().get(customerId=CUSTOMER, orgUnitPath="Aprendices/Distrito Capital").execute()
    )
    by_id = admin_sdk.orgunits().get(customerId=CUSTOMER, orgUnitPath=capital["orgUnitId"]).execute()
    assert by_path == capital
    assert by_id == capital


def test_org_unit_list_gives_children_or_all_descendants(emulator: EmulatorControl, admin_sdk: Any) -> None:
    emulator.seed(org_units=["/Aprendices/Distrito Capital/CEET", "/Aprendices/Antioquia", "/Instructores"])
    orgunits = admin_sdk.orgunits()

    children = orgunits.list(customerId=CUSTOMER, type="children").execute()
    everything = orgunits.list(customerId=CUSTOMER, type="all").execute()
    under = orgunits.list(customerId=CUSTOMER, orgUnitPath="/Aprendices", type="all").execute()
    direct = orgunits.list(customerId=CUSTOMER, orgUnitPath="/Aprendices").execute()

    assert paths(children) == ["/Aprendices", "/Instructores"]
    assert paths(everything) == [
        "/Aprendices",
        "/Aprendices/Antioquia",
        "/Aprendices/Distrito Capital",
        "/Aprendices/Distrito Capital/CEET",
        "/Instructores",
    ]
    assert paths(under) == [
        "/Aprendices/Antioquia",
        "/Aprendices/Distrito Capital",
        "/Aprendices/Distrito Capital/CEET",
    ]
    assert paths(direct) == ["/Aprendices/Antioquia", "/Aprendices/Distrito Capital"]


def test_an_existing_org_unit_is_a_conflict(emulator: EmulatorControl, admin_sdk: Any) -> None:
    insert_org_unit(admin_sdk, "Instructores")

    expect_error(
        admin_sdk.orgunits().insert(
            customerId=CUSTOMER, body={"name": "Instructores", "parentOrgUnitPath": "/"}
        ),
        409,
        "duplicate",
    )


def test_a_missing_parent_is_refused(emulator: EmulatorControl, admin_sdk: Any) -> None:
    expect_error(
        admin_sdk.orgunits().insert(
            customerId=CUSTOMER, body={"name": "Hija", "parentOrgUnitPath": "/NoExiste"}
        ),
        400,
        "invalid",
    )
    expect_error(admin_sdk.orgunits().get(customerId=CUSTOMER, orgUnitPath="NoExiste"), 404, "notFound")


def test_a_group_is_found_by_email_and_by_id(emulator: EmulatorControl, admin_sdk: Any) -> None:
    created = (
        admin_sdk.groups()
        .insert(
            body={
                "email": f"Ficha-2758@{DOMAIN}",
                "name": "Ficha 2758",
                "description": "Análisis y desarrollo de software",
            }
        )
        .execute()
    )

    assert created["email"] == f"ficha-2758@{DOMAIN}"
    for key in (f"ficha-2758@{DOMAIN}", created["id"]):
        fetched = admin_sdk.groups().get(groupKey=key).execute()
        assert fetched["id"] == created["id"]
        assert fetched["name"] == "Ficha 2758"
        assert fetched["description"] == "Análisis y desarrollo de software"
    expect_error(admin_sdk.groups().get(groupKey=f"nada@{DOMAIN}"), 404, "notFound")
    expect_error(admin_sdk.groups().insert(body={"email": f"ficha-2758@{DOMAIN}"}), 409, "duplicate")


@pytest.fixture
def group(emulator: EmulatorControl, admin_sdk: Any) -> str:
    emulator.seed(users=[new_user(f"miembro{i}") for i in range(5)])
    address = f"ficha-1@{DOMAIN}"
    admin_sdk.groups().insert(body={"email": address, "name": "Ficha 1"}).execute()
    return address


def test_members_are_added_listed_checked_and_removed(group: str, admin_sdk: Any) -> None:
    members = admin_sdk.members()
    added = members.insert(groupKey=group, body={"email": f"Miembro0@{DOMAIN}", "role": "MANAGER"}).execute()
    members.insert(groupKey=group, body={"email": f"miembro1@{DOMAIN}"}).execute()

    assert (added["email"], added["role"], added["type"]) == (
        f"miembro0@{DOMAIN}",
        "MANAGER",
        "USER",
    )
    listed = members.list(groupKey=group).execute()["members"]
    assert sorted((m["email"], m["role"]) for m in listed) == [
        (f"miembro0@{DOMAIN}", "MANAGER"),
        (f"miembro1@{DOMAIN}", "MEMBER"),
    ]
    assert members.hasMember(groupKey=group, memberKey=f"miembro0@{DOMAIN}").execute() == {"isMember": True}
    assert members.hasMember(groupKey=group, memberKey=f"miembro2@{DOMAIN}").execute() == {"isMember": False}
    assert admin_sdk.groups().get(groupKey=group).execute()["directMembersCount"] == "2"

    assert members.delete(groupKey=group, memberKey=f"miembro0@{DOMAIN}").execute() == ""

    assert [m["email"] for m in members.list(groupKey=group).execute()["members"]] == [f"miembro1@{DOMAIN}"]
    assert not members.hasMember(groupKey=group, memberKey=f"miembro0@{DOMAIN}").execute()["isMember"]


def test_adding_a_member_twice_is_a_conflict(group: str, admin_sdk: Any) -> None:
    admin_sdk.members().insert(groupKey=group, body={"email": f"miembro0@{DOMAIN}"}).execute()

    expect_error(
        admin_sdk.members().insert(groupKey=group, body={"email": f"MIEMBRO0@{DOMAIN}"}),
        409,
        "duplicate",
    )


def test_removing_a_non_member_is_not_found(group: str, admin_sdk: Any) -> None:
    expect_error(
        admin_sdk.members().delete(groupKey=group, memberKey=f"miembro3@{DOMAIN}"),
        404,
        "notFound",
    )


def test_adding_an_unknown_user_of_the_domain_is_not_found(group: str, admin_sdk: Any) -> None:
    expect_error(
        admin_sdk.members().insert(groupKey=group, body={"email": f"nadie@{DOMAIN}"}),
        404,
        "notFound",
    )


def test_member_list_pages(group: str, admin_sdk: Any) -> None:
    for i in range(5):
        admin_sdk.members().insert(groupKey=group, body={"email": f"miembro{i}@{DOMAIN}"}).execute()

    seen: list[str] = []
    sizes: list[int] = []
    token: str | None = None
    while True:
        page = admin_sdk.members().list(groupKey=group, maxResults=2, pageToken=token).execute()
        sizes.append(len(page["members"]))
        seen += [m["email"] for m in page["members"]]
        token = page.get("nextPageToken")
        if token is None:
            break

    assert sizes == [2, 2, 1]
    assert seen == [f"miembro{i}@{DOMAIN}" for i in range(5)]
