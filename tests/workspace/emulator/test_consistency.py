"""Eventual consistency: a user or group just created is not yet visible everywhere, as at Google.

With ``consistency_delay_seconds`` > 0 and the clock frozen, the window is exact: inside it a
read answers 404 and (in ``realistic`` mode) a write 412 "User creation is not complete.";
the user is missing from lists; after advancing the clock past it everything answers normally.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.google_bodies import DOMAIN, expect_error, new_user
from workspace.emulator.control_client import EmulatorControl

DELAY = 5.0
KEY = f"recien@{DOMAIN}"


@pytest.fixture
def delayed(emulator: EmulatorControl) -> EmulatorControl:
    emulator.freeze_clock()
    emulator.configure(consistency_delay_seconds=DELAY)
    return emulator


def listed(admin_sdk: Any) -> list[str]:
    answer = admin_sdk.users().list(customer="my_customer", maxResults=500).execute()
    return [u["primaryEmail"] for u in answer.get("users", [])]


def test_a_new_user_is_invisible_then_visible_in_realistic_mode(
    delayed: EmulatorControl, admin_sdk: Any
) -> None:
    created = admin_sdk.users().insert(body=new_user("recien")).execute()
    assert created["primaryEmail"] == KEY  # insert itself answers with the resource

    expect_error(admin_sdk.users().get(userKey=KEY), 404, "notFound")
    expect_error(admin_sdk.users().get(userKey=created["id"]), 404, "notFound")
    expect_error(admin_sdk.users().update(userKey=KEY, body={"suspended": True}), 412, "conditionNotMet")
    expect_error(admin_sdk.users().patch(userKey=KEY, body={"suspended": True}), 412, "conditionNotMet")
    assert KEY not in listed(admin_sdk)
    expect_error(admin_sdk.users().insert(body=new_user("recien")), 409, "duplicate")

    delayed.advance_clock(DELAY - 0.5)
    expect_error(admin_sdk.users().get(userKey=KEY), 404, "notFound")

    delayed.advance_clock(0.5)
    assert admin_sdk.users().get(userKey=KEY).execute()["id"] == created["id"]
    patched = admin_sdk.users().patch(userKey=KEY, body={"suspended": True}).execute()
    assert patched["suspended"] is True
    assert KEY in listed(admin_sdk)


def test_adding_a_user_still_being_created_to_a_group_is_412(
    delayed: EmulatorControl, admin_sdk: Any
) -> None:
    admin_sdk.groups().insert(body={"email": f"ficha@{DOMAIN}"}).execute()
    delayed.advance_clock(DELAY)  # the group has propagated; the user below has not
    admin_sdk.users().insert(body=new_user("recien")).execute()

    expect_error(
        admin_sdk.members().insert(groupKey=f"ficha@{DOMAIN}", body={"email": KEY}),
        412,
        "conditionNotMet",
    )

    delayed.advance_clock(DELAY)
    assert admin_sdk.members().insert(groupKey=f"ficha@{DOMAIN}", body={"email": KEY}).execute()


@pytest.mark.parametrize(
    ("mode", "status", "reason"), [("404", 404, "notFound"), ("412", 412, "conditionNotMet")]
)
def test_a_fixed_mode_answers_reads_and_writes_alike(
    delayed: EmulatorControl, admin_sdk: Any, mode: str, status: int, reason: str
) -> None:
    delayed.configure(consistency_mode=mode)
    admin_sdk.users().insert(body=new_user("recien")).execute()

    expect_error(admin_sdk.users().get(userKey=KEY), status, reason)
    expect_error(admin_sdk.users().patch(userKey=KEY, body={"suspended": True}), status, reason)
    assert KEY not in listed(admin_sdk)

    delayed.advance_clock(DELAY)
    assert admin_sdk.users().get(userKey=KEY).execute()["primaryEmail"] == KEY


def test_without_delay_a_new_user_is_visible_at_once(emulator: EmulatorControl, admin_sdk: Any) -> None:
    emulator.freeze_clock()
    admin_sdk.users().insert(body=new_user("recien")).execute()

    assert admin_sdk.users().get(userKey=KEY).execute()["primaryEmail"] == KEY
    assert KEY in listed(admin_sdk)


def test_a_listing_taken_while_a_user_is_invisible_does_not_hide_it_later(
    delayed: EmulatorControl, admin_sdk: Any
) -> None:
    admin_sdk.users().insert(body=new_user("recien")).execute()
    assert KEY not in listed(admin_sdk)
    assert KEY not in listed(admin_sdk)

    delayed.advance_clock(DELAY)  # nothing else changes: only time passes

    assert KEY in listed(admin_sdk)


def test_a_new_group_answers_404_groupkey_until_it_has_propagated(
    delayed: EmulatorControl, admin_sdk: Any
) -> None:
    """Google's answer to a membership insert into a group created a moment ago is the same
    404 as for a group that does not exist; misena's member-first join relies on telling it
    apart from the member's 404 by the key it names."""
    group = f"ficha-nueva@{DOMAIN}"
    admin_sdk.groups().insert(body={"email": group}).execute()
    outside = {"email": "alguien@example.com"}
    refused = expect_error(admin_sdk.members().insert(groupKey=group, body=outside), 404, "notFound")
    assert "groupKey" in json.loads(refused.content)["error"]["message"]
    expect_error(admin_sdk.groups().get(groupKey=group), 404, "notFound")
    expect_error(admin_sdk.groups().insert(body={"email": group}), 409, "duplicate")

    delayed.advance_clock(DELAY)
    assert admin_sdk.members().insert(groupKey=group, body=outside).execute()["email"] == outside["email"]
