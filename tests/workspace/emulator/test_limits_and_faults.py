"""Google's quotas (on by default) and injected faults, on a frozen clock so windows are exact."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.support.google_bodies import ADMIN, DOMAIN, expect_error, gmail_service, new_user
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import EmulatorServer

SENDER = f"notificaciones@{DOMAIN}"
RAW = (f"From: {SENDER}\r\nTo: aprendiz@example.com\r\nSubject: Hola\r\n\r\nCuerpo\r\n").encode()


def send_body() -> dict[str, str]:
    return {"raw": base64.urlsafe_b64encode(RAW).decode()}


def insert(admin_sdk: Any, local: str) -> dict[str, Any]:
    created: dict[str, Any] = admin_sdk.users().insert(body=new_user(local)).execute()
    return created


@pytest.fixture
def frozen(emulator: EmulatorControl) -> EmulatorControl:
    emulator.freeze_clock()
    return emulator


@pytest.fixture
def mailer(frozen: EmulatorControl, emulator_server: EmulatorServer, key_info: dict[str, Any]) -> Any:
    frozen.seed(users=[new_user("notificaciones")])
    return gmail_service(emulator_server, key_info, SENDER, "gmail.send")


# --- quotas -----------------------------------------------------------------------------------


def test_the_11th_user_insert_within_a_second_is_rate_limited(
    frozen: EmulatorControl, admin_sdk: Any
) -> None:
    for i in range(10):
        insert(admin_sdk, f"rapido{i}")

    expect_error(admin_sdk.users().insert(body=new_user("rapido10")), 403, "rateLimitExceeded")
    expect_error(admin_sdk.users().get(userKey=f"rapido10@{DOMAIN}"), 404, "notFound")

    frozen.advance_clock(1)

    assert insert(admin_sdk, "rapido10")["primaryEmail"] == f"rapido10@{DOMAIN}"
    assert frozen.calls("directory.users.insert", 200) == 11
    assert frozen.calls("directory.users.insert", 403) == 1


def test_directory_queries_over_the_per_minute_quota_are_user_rate_limited(
    frozen: EmulatorControl, admin_sdk: Any
) -> None:
    frozen.configure(directory_queries_per_minute=3)
    for _ in range(3):
        admin_sdk.users().get(userKey=ADMIN).execute()

    expect_error(admin_sdk.users().get(userKey=ADMIN), 403, "userRateLimitExceeded")
    expect_error(
        admin_sdk.users().list(customer="my_customer"), 403, "userRateLimitExceeded"
    )  # the quota is per project, across methods

    frozen.advance_clock(60)
    assert admin_sdk.users().get(userKey=ADMIN).execute()["primaryEmail"] == ADMIN


def test_the_gmail_daily_send_limit_is_a_429_with_retry_after(frozen: EmulatorControl, mailer: Any) -> None:
    frozen.configure(gmail_messages_per_day=2)
    for _ in range(2):
        mailer.users().messages().send(userId="me", body=send_body()).execute()

    error = expect_error(
        mailer.users().messages().send(userId="me", body=send_body()), 429, "rateLimitExceeded"
    )
    retry_after = int(error.resp["retry-after"])
    assert 86_000 < retry_after <= 86_400

    frozen.advance_clock(86_400)  # the token expires meanwhile: google-auth refreshes it

    assert mailer.users().messages().send(userId="me", body=send_body()).execute()["id"]


def test_gmail_sends_over_the_per_minute_rate_are_user_rate_limited(
    frozen: EmulatorControl, mailer: Any
) -> None:
    """Gmail's per-user limit (15,000 units a minute, a send 100): a short rate answer, not the
    daily limit's "(Mail sending)" one, and a slot again once the minute has passed."""
    frozen.configure(gmail_sends_per_minute=3)
    for _ in range(3):
        mailer.users().messages().send(userId="me", body=send_body()).execute()

    error = expect_error(
        mailer.users().messages().send(userId="me", body=send_body()), 429, "userRateLimitExceeded"
    )
    assert 1 <= int(error.resp["retry-after"]) <= 60
    assert "mail sending" not in error.content.decode().lower()

    frozen.advance_clock(60)
    assert mailer.users().messages().send(userId="me", body=send_body()).execute()["id"]


def test_a_shortened_sending_window_frees_a_slot_when_it_ends(frozen: EmulatorControl, mailer: Any) -> None:
    """Benchmarks make "a day" seconds long; the window still rolls from each send."""
    frozen.configure(gmail_messages_per_day=2, gmail_sending_window_seconds=30)
    mailer.users().messages().send(userId="me", body=send_body()).execute()
    frozen.advance_clock(10)
    mailer.users().messages().send(userId="me", body=send_body()).execute()

    error = expect_error(
        mailer.users().messages().send(userId="me", body=send_body()), 429, "rateLimitExceeded"
    )
    assert "(Mail sending)" in str(error)
    assert int(error.resp["retry-after"]) == 20  # the first send leaves the window at 30 s

    frozen.advance_clock(20)
    assert mailer.users().messages().send(userId="me", body=send_body()).execute()["id"]
    expect_error(mailer.users().messages().send(userId="me", body=send_body()), 429, "rateLimitExceeded")


def test_the_gmail_limit_is_per_sender(
    frozen: EmulatorControl,
    mailer: Any,
    emulator_server: EmulatorServer,
    key_info: dict[str, Any],
) -> None:
    frozen.configure(gmail_messages_per_day=1)
    frozen.seed(users=[new_user("otra")])
    other = gmail_service(emulator_server, key_info, f"otra@{DOMAIN}", "gmail.send")
    mailer.users().messages().send(userId="me", body=send_body()).execute()

    expect_error(mailer.users().messages().send(userId="me", body=send_body()), 429, "rateLimitExceeded")
    assert other.users().messages().send(userId="me", body=send_body()).execute()["id"]


def test_limits_disabled_lifts_every_quota(frozen: EmulatorControl, admin_sdk: Any, mailer: Any) -> None:
    frozen.configure(
        limits_enabled=False,
        user_creates_per_second=1,
        directory_queries_per_minute=2,
        gmail_messages_per_day=1,
    )

    for i in range(5):
        insert(admin_sdk, f"libre{i}")
        mailer.users().messages().send(userId="me", body=send_body()).execute()

    assert frozen.calls("directory.users.insert", 200) == 5
    assert frozen.calls("gmail.users.messages.send", 200) == 5


# --- injected faults --------------------------------------------------------------------------


def test_a_fault_n_times_fails_the_first_n_calls_then_lets_them_through(
    emulator: EmulatorControl, admin_sdk: Any
) -> None:
    emulator.set_faults(
        [{"method": "directory.users.get", "status": 503, "reason": "backendError", "times": 2}]
    )

    for _ in range(2):
        expect_error(admin_sdk.users().get(userKey=ADMIN), 503, "backendError")
    for _ in range(2):
        assert admin_sdk.users().get(userKey=ADMIN).execute()["primaryEmail"] == ADMIN

    assert emulator.calls("directory.users.get", 503) == 2
    assert emulator.calls("directory.users.get", 200) == 2
    assert emulator.calls("directory.users.get") == 4


def test_a_fault_at_rate_1_always_fires(emulator: EmulatorControl, admin_sdk: Any) -> None:
    emulator.set_faults(
        [
            {
                "method": "directory.users.list",
                "status": 500,
                "reason": "internalError",
                "rate": 1.0,
            }
        ]
    )

    for _ in range(5):
        expect_error(admin_sdk.users().list(customer="my_customer"), 500, "internalError")
    assert admin_sdk.users().get(userKey=ADMIN).execute()["primaryEmail"] == ADMIN

    emulator.clear_faults()
    assert admin_sdk.users().list(customer="my_customer").execute()["users"]


def test_a_fault_matches_by_http_verb(emulator: EmulatorControl, admin_sdk: Any) -> None:
    emulator.set_faults([{"method": "POST", "status": 502, "reason": "badGateway", "times": 2}])

    assert admin_sdk.users().get(userKey=ADMIN).execute()  # GET: untouched
    expect_error(admin_sdk.users().insert(body=new_user("verbo")), 502, "badGateway")
    expect_error(admin_sdk.groups().insert(body={"email": f"g@{DOMAIN}"}), 502, "badGateway")
    assert insert(admin_sdk, "verbo")["primaryEmail"] == f"verbo@{DOMAIN}"


def test_a_fault_matches_by_path_glob(emulator: EmulatorControl, admin_sdk: Any) -> None:
    admin_sdk.groups().insert(body={"email": f"ficha@{DOMAIN}"}).execute()
    emulator.set_faults(
        [
            {
                "path": "/admin/directory/v1/groups/*",
                "status": 503,
                "reason": "backendError",
                "rate": 1.0,
            }
        ]
    )

    expect_error(admin_sdk.groups().get(groupKey=f"ficha@{DOMAIN}"), 503, "backendError")
    expect_error(admin_sdk.members().list(groupKey=f"ficha@{DOMAIN}"), 503, "backendError")
    assert admin_sdk.users().get(userKey=ADMIN).execute()["primaryEmail"] == ADMIN


def test_a_fault_with_retry_after_sets_the_header(emulator: EmulatorControl, admin_sdk: Any) -> None:
    emulator.set_faults(
        [
            {
                "method": "directory.users.get",
                "status": 429,
                "reason": "rateLimitExceeded",
                "times": 1,
                "retry_after": 7,
            },
            {"method": "directory.users.list", "status": 503, "times": 1},
        ]
    )

    throttled = expect_error(admin_sdk.users().get(userKey=ADMIN), 429, "rateLimitExceeded")
    unavailable = expect_error(admin_sdk.users().list(customer="my_customer"), 503, "backendError")

    assert throttled.resp["retry-after"] == "7"
    assert "retry-after" not in unavailable.resp


def test_faults_come_after_authentication(
    emulator: EmulatorControl, emulator_server: EmulatorServer, key_info: dict[str, Any]
) -> None:
    emulator.seed(users=[new_user("aprendiz")])
    emulator.set_faults([{"status": 503, "rate": 1.0}])
    not_admin = gmail_service(emulator_server, key_info, f"aprendiz@{DOMAIN}", "gmail.readonly")

    expect_error(
        not_admin.users().messages().send(userId="me", body=send_body()),
        403,
        "insufficientPermissions",
    )
    expect_error(not_admin.users().messages().list(userId="me"), 503, "backendError")


def test_counters_count_by_method_and_status(emulator: EmulatorControl, admin_sdk: Any) -> None:
    insert(admin_sdk, "contada")
    expect_error(admin_sdk.users().insert(body=new_user("contada")), 409, "duplicate")
    expect_error(admin_sdk.users().get(userKey=f"nadie@{DOMAIN}"), 404, "notFound")
    admin_sdk.users().get(userKey=f"contada@{DOMAIN}").execute()

    assert emulator.calls("directory.users.insert", 200) == 1
    assert emulator.calls("directory.users.insert", 409) == 1
    assert emulator.calls("directory.users.insert") == 2
    assert emulator.calls("directory.users.get", 404) == 1
    assert emulator.calls("directory.users.get", 200) == 1
    assert emulator.calls("directory.users.list") == 0
    assert emulator.counters()["total"] == 4

    emulator.clear_counters()
    assert emulator.counters() == {"calls": {}, "total": 0}
