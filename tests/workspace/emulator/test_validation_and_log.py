"""Bodies are checked against the discovery documents; the request log never keeps a secret."""

from __future__ import annotations

import base64
import json
from typing import Any

import google_auth_httplib2
import httplib2
import httpx
import pytest
from google.oauth2 import service_account

from tests.support.google_bodies import ADMIN, DOMAIN, SCOPE, expect_error, gmail_service, new_user
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import EmulatorServer

SENDER = f"notificaciones@{DOMAIN}"
PASSWORD = "Kp7-Secreta-2026"
NEW_PASSWORD = "Kp8-Otra-Secreta-2026"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"suspended": "yes"}, "suspended"),
        ({"changePasswordAtNextLogin": 1}, "changePasswordAtNextLogin"),
        ({"name": "Ana Gómez"}, "name"),
        ({"externalIds": [{"value": 1098765432, "type": []}]}, "externalIds"),
        ({"orgUnitPath": ["/Aprendices"]}, "orgUnitPath"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(
    emulator: EmulatorControl, admin_sdk: Any, body: dict[str, Any], where: str
) -> None:
    created = admin_sdk.users().insert(body=new_user("tipos")).execute()

    error = expect_error(admin_sdk.users().patch(userKey=created["id"], body=body), 400, "invalid")

    assert where in json.loads(error.content)["error"]["message"]
    expect_error(admin_sdk.users().insert(body=new_user("otra", **body)), 400, "invalid")


def test_wrong_types_are_refused_on_every_api(
    emulator: EmulatorControl,
    admin_sdk: Any,
    emulator_server: EmulatorServer,
    key_info: dict[str, Any],
) -> None:
    emulator.seed(users=[new_user("notificaciones")])
    admin_sdk.groups().insert(body={"email": f"ficha@{DOMAIN}"}).execute()
    gmail = gmail_service(emulator_server, key_info, SENDER, "gmail.send")

    expect_error(
        admin_sdk.orgunits().insert(customerId="my_customer", body={"name": "X", "blockInheritance": "no"}),
        400,
        "invalid",
    )
    expect_error(admin_sdk.groups().insert(body={"email": f"g@{DOMAIN}", "name": 7}), 400, "invalid")
    expect_error(
        admin_sdk.members().insert(groupKey=f"ficha@{DOMAIN}", body={"email": {"a": 1}}),
        400,
        "invalid",
    )
    expect_error(gmail.users().messages().send(userId="me", body={"raw": 12345}), 400, "invalid")
    expect_error(
        gmail.users().messages().send(userId="me", body={"raw": "eA", "colour": "red"}),
        400,
        "invalid",
    )


def test_a_body_that_is_not_json_is_a_parse_error(
    emulator: EmulatorControl, emulator_server: EmulatorServer, key_info: dict[str, Any]
) -> None:
    credentials = service_account.Credentials.from_service_account_info(
        key_info, scopes=[SCOPE + "admin.directory.user"], subject=ADMIN
    )
    credentials.refresh(google_auth_httplib2.Request(httplib2.Http()))

    answer = httpx.post(
        f"{emulator_server.base_url}admin/directory/v1/users",
        content=b"{not json",
        headers={
            "Authorization": f"Bearer {credentials.token}",
            "Content-Type": "application/json",
        },
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["errors"][0]["reason"] == "parseError"


def test_the_request_log_never_holds_a_password_in_clear(
    emulator: EmulatorControl,
    admin_sdk: Any,
    emulator_server: EmulatorServer,
    key_info: dict[str, Any],
) -> None:
    emulator.seed(users=[new_user("notificaciones")])
    created = admin_sdk.users().insert(body=new_user("secreta", password=PASSWORD)).execute()
    admin_sdk.users().update(userKey=created["id"], body={"password": NEW_PASSWORD}).execute()
    admin_sdk.users().patch(
        userKey=created["id"], body={"password": NEW_PASSWORD + "x", "suspended": False}
    ).execute()
    expect_error(
        admin_sdk.users().insert(body=new_user("refused", password=PASSWORD, nickname="x")),
        400,
        "invalid",
    )
    mail = f"From: {SENDER}\r\nTo: a@example.com\r\nSubject: Clave\r\n\r\nTu clave: {PASSWORD}\r\n"
    raw = base64.urlsafe_b64encode(mail.encode()).decode()
    gmail = gmail_service(emulator_server, key_info, SENDER, "gmail.send")
    gmail.users().messages().send(userId="me", body={"raw": raw}).execute()

    log = emulator.requests()

    assert [entry["method"] for entry in log] == [
        "directory.users.insert",
        "directory.users.update",
        "directory.users.patch",
        "directory.users.insert",
        "gmail.users.messages.send",
    ]
    dumped = json.dumps(log)
    for secret in (PASSWORD, NEW_PASSWORD, raw, raw.rstrip("=")):
        assert secret not in dumped
    assert log[0]["body"]["password"] != PASSWORD
    assert log[0]["body"]["primaryEmail"] == f"secreta@{DOMAIN}"  # the rest is kept
    assert emulator.password_valid(f"secreta@{DOMAIN}", NEW_PASSWORD + "x")
