"""Directory ``users.list``: paging, page-token binding, ``query`` and ``fields``."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.support.google_bodies import ADMIN, DOMAIN, SOFIA_SCHEMA, expect_error, new_user
from workspace.emulator.control_client import EmulatorControl


def list_users(admin_sdk: Any, **params: Any) -> dict[str, Any]:
    answer: dict[str, Any] = admin_sdk.users().list(customer="my_customer", **params).execute()
    return answer


def emails(answer: dict[str, Any]) -> list[str]:
    return [u["primaryEmail"] for u in answer.get("users", [])]


def test_1200_users_page_by_500_without_duplicates_or_gaps(emulator: EmulatorControl, admin_sdk: Any) -> None:
    seeded = {f"aprendiz{i:04d}@{DOMAIN}" for i in range(1200)}
    emulator.seed(users=[new_user(address.split("@")[0]) for address in sorted(seeded)])

    pages: list[list[str]] = []
    token: str | None = None
    while True:
        answer = list_users(admin_sdk, maxResults=500, pageToken=token)
        pages.append(emails(answer))
        token = answer.get("nextPageToken")
        if token is None:
            break

    assert [len(p) for p in pages] == [500, 500, 201]
    seen = [address for page in pages for address in page]
    assert len(seen) == len(set(seen))
    assert set(seen) == seeded | {ADMIN}
    assert seen == sorted(seen)  # orderBy defaults to email
    assert emulator.calls("directory.users.list", 200) == 3


def test_the_last_page_has_no_next_token(emulator: EmulatorControl, admin_sdk: Any) -> None:
    answer = list_users(admin_sdk, maxResults=500)

    assert emails(answer) == [ADMIN]
    assert "nextPageToken" not in answer


@pytest.mark.parametrize("max_results", [0, 501])
def test_max_results_outside_1_to_500_is_refused(
    emulator: EmulatorControl, admin_sdk: Any, max_results: int
) -> None:
    expect_error(admin_sdk.users().list(customer="my_customer", maxResults=max_results), 400, "invalid")


def test_a_page_token_replayed_with_another_query_is_refused(
    emulator: EmulatorControl, admin_sdk: Any
) -> None:
    emulator.seed(users=[new_user(f"u{i}") for i in range(5)])
    first = list_users(admin_sdk, maxResults=2, query="email:u*")
    token = first["nextPageToken"]

    assert emails(list_users(admin_sdk, maxResults=2, query="email:u*", pageToken=token)) == [
        f"u2@{DOMAIN}",
        f"u3@{DOMAIN}",
    ]
    expect_error(
        admin_sdk.users().list(
            customer="my_customer", maxResults=2, query="isSuspended=false", pageToken=token
        ),
        400,
        "invalid",
    )


def test_a_tampered_page_token_is_refused(emulator: EmulatorControl, admin_sdk: Any) -> None:
    emulator.seed(users=[new_user(f"u{i}") for i in range(3)])
    token = list_users(admin_sdk, maxResults=1)["nextPageToken"]
    decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    forged = base64.urlsafe_b64encode(decoded.replace(b'\\"o\\": 1', b'\\"o\\": 2')).decode()
    assert forged.rstrip("=") != token

    for bad in (forged.rstrip("="), token[:-2], "not-a-token"):
        expect_error(
            admin_sdk.users().list(customer="my_customer", maxResults=1, pageToken=bad),
            400,
            "invalid",
        )


@pytest.fixture
def population(emulator: EmulatorControl) -> EmulatorControl:
    emulator.seed(
        org_units=["/Aprendices/Distrito Capital/CEET", "/Aprendices/Antioquia", "/Instructores"],
        users=[
            new_user(
                "ana.gomez",
                orgUnitPath="/Aprendices/Distrito Capital",
                externalIds=[{"type": "organization", "value": "CC-1001"}],
            ),
            new_user(
                "andres.perez",
                orgUnitPath="/Aprendices/Distrito Capital/CEET",
                externalIds=[{"type": "organization", "value": "CC-1002"}],
                suspended=True,
            ),
            new_user("beatriz.ruiz", orgUnitPath="/Aprendices/Antioquia"),
            new_user("carlos.diaz", orgUnitPath="/Instructores", suspended=True),
        ],
    )
    return emulator


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"email:ana.gomez@{DOMAIN}", ["ana.gomez"]),
        (f"email=andres.perez@{DOMAIN}", ["andres.perez"]),
        ("email:an*", ["ana.gomez", "andres.perez"]),
        ("email:an", []),
        ("externalId:CC-1002", ["andres.perez"]),
        ("externalId=cc-1001", ["ana.gomez"]),
        (
            "orgUnitPath=/Aprendices",
            ["ana.gomez", "andres.perez", "beatriz.ruiz"],
        ),
        ("orgUnitPath='/Aprendices/Distrito Capital'", ["ana.gomez", "andres.perez"]),
        ("orgUnitPath='/Aprendices/Distrito Capital/CEET'", ["andres.perez"]),
        ("isSuspended=true", ["andres.perez", "carlos.diaz"]),
        ("isSuspended=false", ["admin", "ana.gomez", "beatriz.ruiz"]),
        ("orgUnitPath=/Aprendices isSuspended=false", ["ana.gomez", "beatriz.ruiz"]),
        ("email:an* isSuspended=true", ["andres.perez"]),
        ("orgUnitPath=/Instructores isSuspended=false", []),
    ],
)
def test_query_clauses_filter_users(
    population: EmulatorControl, admin_sdk: Any, query: str, expected: list[str]
) -> None:
    answer = list_users(admin_sdk, query=query)

    assert emails(answer) == [f"{local}@{DOMAIN}" for local in expected]


def test_an_unknown_query_field_is_refused(population: EmulatorControl, admin_sdk: Any) -> None:
    expect_error(admin_sdk.users().list(customer="my_customer", query="color:azul"), 400, "invalid")


def test_fields_trims_the_answer_to_what_was_asked(population: EmulatorControl, admin_sdk: Any) -> None:
    answer = list_users(admin_sdk, maxResults=2, fields="users(primaryEmail),nextPageToken")

    assert set(answer) == {"users", "nextPageToken"}
    assert answer["users"] == [
        {"primaryEmail": ADMIN},
        {"primaryEmail": f"ana.gomez@{DOMAIN}"},
    ]
    rest = list_users(
        admin_sdk,
        maxResults=500,
        pageToken=answer["nextPageToken"],
        fields="users(primaryEmail,name/givenName,suspended)",
    )
    assert rest["users"][0] == {
        "primaryEmail": f"andres.perez@{DOMAIN}",
        "name": {"givenName": "Ana"},
        "suspended": True,
    }


def test_fields_on_get(population: EmulatorControl, admin_sdk: Any) -> None:
    answer = admin_sdk.users().get(userKey=f"ana.gomez@{DOMAIN}", fields="id,orgUnitPath").execute()

    assert set(answer) == {"id", "orgUnitPath"}
    assert answer["orgUnitPath"] == "/Aprendices/Distrito Capital"


def test_list_needs_a_customer_or_the_domain(emulator: EmulatorControl, admin_sdk: Any) -> None:
    assert emails(admin_sdk.users().list(domain=DOMAIN).execute()) == [ADMIN]
    expect_error(admin_sdk.users().list(), 400, "invalid")


def test_listings_follow_every_change_to_users(emulator: EmulatorControl, admin_sdk: Any) -> None:
    """The emulator caches sorted listings; any insert, update or rename must show at once."""
    emulator.seed(users=[new_user(f"{n}00") for n in range(1, 6)])
    assert emails(list_users(admin_sdk, query="isSuspended=true")) == []
    before = emails(list_users(admin_sdk, maxResults=500))

    admin_sdk.users().patch(userKey=f"300@{DOMAIN}", body={"suspended": True}).execute()
    assert emails(list_users(admin_sdk, query="isSuspended=true")) == [f"300@{DOMAIN}"]

    admin_sdk.users().update(userKey=f"100@{DOMAIN}", body={"primaryEmail": f"900@{DOMAIN}"}).execute()
    renamed = sorted((set(before) - {f"100@{DOMAIN}"}) | {f"900@{DOMAIN}"})
    assert emails(list_users(admin_sdk, maxResults=500)) == renamed

    admin_sdk.users().insert(body=new_user("250")).execute()
    after = emails(list_users(admin_sdk, maxResults=500))
    assert after == sorted([*renamed, f"250@{DOMAIN}"])
    descending = emails(list_users(admin_sdk, maxResults=500, sortOrder="DESCENDING"))
    assert descending == after[::-1]


def test_a_trimmed_listing_is_the_whole_listing_trimmed(emulator: EmulatorControl, admin_sdk: Any) -> None:
    """The emulator trims big listings while reading them; the answer must not differ."""
    emulator.seed(
        schemas=[SOFIA_SCHEMA],
        users=[
            new_user(f"{n}00", customSchemas={"SofiaPlus": {"documentNumber": str(n)}}) for n in range(1, 4)
        ],
    )
    whole = list_users(admin_sdk, projection="custom", customFieldMask="SofiaPlus")
    trimmed = list_users(
        admin_sdk,
        projection="custom",
        customFieldMask="SofiaPlus",
        fields="users(primaryEmail,etag,name/givenName,customSchemas),nextPageToken",
    )
    expected = [
        {
            "primaryEmail": u["primaryEmail"],
            "etag": u["etag"],
            "name": {"givenName": u["name"]["givenName"]},
            **({"customSchemas": u["customSchemas"]} if "customSchemas" in u else {}),
        }
        for u in whole["users"]
    ]
    assert trimmed == {"users": expected}
    assert list_users(admin_sdk, fields="nextPageToken") == {}
