"""First sign-in fields, the control plane's sign-in, the seat limit and a renamed user's
``emails``, as Google shows them, through the real client library."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.google_bodies import DOMAIN, expect_error, new_user
from workspace.emulator.control_client import EmulatorControl

PASSWORD = "Temporal-2026-xyz"
NEVER = "1970-01-01T00:00:00.000Z"
SIGN_IN_FIELDS = "users(primaryEmail,lastLoginTime,agreedToTerms,changePasswordAtNextLogin),nextPageToken"


def test_a_new_user_has_never_signed_in(emulator: EmulatorControl, admin_sdk: Any) -> None:
    admin_sdk.users().insert(body=new_user("nuevo", changePasswordAtNextLogin=True)).execute()

    got = admin_sdk.users().get(userKey=f"nuevo@{DOMAIN}", fields="lastLoginTime,agreedToTerms").execute()

    assert got == {"lastLoginTime": NEVER, "agreedToTerms": False}


def test_signing_in_sets_the_first_sign_in_fields_on_the_emulator_clock(
    emulator: EmulatorControl, admin_sdk: Any
) -> None:
    admin_sdk.users().insert(body=new_user("ana", changePasswordAtNextLogin=True)).execute()
    admin_sdk.users().insert(body=new_user("beto", changePasswordAtNextLogin=True)).execute()
    emulator.advance_clock(3 * 86_400)

    shown = emulator.sign_in(f"ana@{DOMAIN}", PASSWORD, new_password="Mia-propia-2026")

    listed = admin_sdk.users().list(customer="my_customer", fields=SIGN_IN_FIELDS).execute()["users"]
    by_address = {user.pop("primaryEmail"): user for user in listed}
    assert by_address[f"ana@{DOMAIN}"] == {
        "lastLoginTime": shown,
        "agreedToTerms": True,
        "changePasswordAtNextLogin": False,
    }
    assert by_address[f"beto@{DOMAIN}"] == {
        "lastLoginTime": NEVER,
        "agreedToTerms": False,
        "changePasswordAtNextLogin": True,
    }
    created = admin_sdk.users().get(userKey=f"ana@{DOMAIN}", fields="creationTime").execute()["creationTime"]
    assert shown > created
    assert emulator.password_valid(f"ana@{DOMAIN}", "Mia-propia-2026")
    assert not emulator.password_valid(f"ana@{DOMAIN}", PASSWORD)


def test_a_wrong_password_or_a_suspended_user_is_refused_and_changes_nothing(
    emulator: EmulatorControl, admin_sdk: Any
) -> None:
    admin_sdk.users().insert(body=new_user("ana", changePasswordAtNextLogin=True)).execute()
    admin_sdk.users().insert(body=new_user("susp", suspended=True)).execute()

    with pytest.raises(httpx.HTTPStatusError) as wrong:
        emulator.sign_in(f"ana@{DOMAIN}", "otra-clave-123")
    with pytest.raises(httpx.HTTPStatusError) as suspended:
        emulator.sign_in(f"susp@{DOMAIN}", PASSWORD)

    assert (wrong.value.response.status_code, suspended.value.response.status_code) == (401, 403)
    for local in ("ana", "susp"):
        got = (
            admin_sdk.users().get(userKey=f"{local}@{DOMAIN}", fields="lastLoginTime,agreedToTerms").execute()
        )
        assert got == {"lastLoginTime": NEVER, "agreedToTerms": False}


def test_inserting_past_the_seat_limit_answers_412(emulator: EmulatorControl, admin_sdk: Any) -> None:
    emulator.configure(user_seat_limit=2)  # the admin holds one seat
    admin_sdk.users().insert(body=new_user("uno")).execute()

    error = expect_error(admin_sdk.users().insert(body=new_user("dos")), 412, "conditionNotMet")

    assert "Domain user limit reached." in str(error)
    assert [u["primaryEmail"] for u in admin_sdk.users().list(customer="my_customer").execute()["users"]] == [
        f"admin@{DOMAIN}",
        f"uno@{DOMAIN}",
    ]


def test_a_renamed_user_lists_only_the_new_address_as_primary(
    emulator: EmulatorControl, admin_sdk: Any
) -> None:
    created = admin_sdk.users().insert(body=new_user("antes")).execute()
    admin_sdk.users().patch(userKey=created["id"], body={"primaryEmail": f"despues@{DOMAIN}"}).execute()

    emails = admin_sdk.users().get(userKey=created["id"]).execute()["emails"]

    assert [e for e in emails if e.get("primary")] == [{"address": f"despues@{DOMAIN}", "primary": True}]
    assert {e["address"] for e in emails} == {f"despues@{DOMAIN}", f"antes@{DOMAIN}"}
