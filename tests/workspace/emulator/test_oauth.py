"""The token endpoint and bearer checks, driven by the unmodified google-auth and client library.

Google's OAuth server answers refusals in OAuth's own shape (``{"error", "error_description"}``),
which google-auth raises as :class:`~google.auth.exceptions.RefreshError`; the APIs answer a
bad or missing bearer token with 401 and a token without the method's scope with 403.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth.exceptions import RefreshError

from tests.support.google_bodies import (
    ADMIN,
    DOMAIN,
    SCOPE,
    directory_service,
    expect_error,
    new_user,
)
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import EmulatorServer

USER_SCOPE = "admin.directory.user"
READONLY_SCOPE = "admin.directory.user.readonly"


def oauth_error(caught: pytest.ExceptionInfo[RefreshError]) -> str:
    """The ``error`` field of the token endpoint's answer that google-auth raised."""
    response_data = caught.value.args[1]
    assert isinstance(response_data, dict), caught.value.args
    error: str = response_data["error"]
    return error


def test_a_valid_key_and_subject_get_a_token_whose_grant_is_recorded(
    emulator: EmulatorControl, emulator_server: EmulatorServer
) -> None:
    # service accounts outlive resets: a name of its own keeps other tests' grants apart
    key = emulator.service_account(name=f"grants-{secrets.token_hex(4)}")
    directory = directory_service(emulator_server, key, USER_SCOPE, READONLY_SCOPE)

    answer = directory.users().get(userKey=ADMIN).execute()

    assert answer["primaryEmail"] == ADMIN
    grants = [g for g in emulator.grants() if g["client_email"] == key["client_email"]]
    assert len(grants) == 1
    assert grants[0]["subject"] == ADMIN
    assert grants[0]["scopes"] == sorted([SCOPE + USER_SCOPE, SCOPE + READONLY_SCOPE])


def test_a_key_signed_by_another_private_key_is_an_invalid_grant(
    emulator: EmulatorControl, emulator_server: EmulatorServer, key_info: dict[str, Any]
) -> None:
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = dict(key_info)  # same private_key_id and client_email, different private key
    forged["private_key"] = impostor.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    directory = directory_service(emulator_server, forged, USER_SCOPE)

    with pytest.raises(RefreshError) as caught:
        directory.users().get(userKey=ADMIN).execute()

    assert oauth_error(caught) == "invalid_grant"
    assert emulator.calls("directory.users.get") == 0


def test_a_token_without_the_methods_scope_is_insufficient_permissions(
    emulator: EmulatorControl, emulator_server: EmulatorServer, key_info: dict[str, Any]
) -> None:
    reader = directory_service(emulator_server, key_info, READONLY_SCOPE)
    assert reader.users().get(userKey=ADMIN).execute()["primaryEmail"] == ADMIN

    expect_error(reader.users().insert(body=new_user("lectora")), 403, "insufficientPermissions")

    assert emulator.calls("directory.users.insert", 403) == 1
    assert emulator.calls("directory.users.insert", 200) == 0


def test_a_scope_not_delegated_to_the_key_is_an_unauthorized_client(
    emulator: EmulatorControl, emulator_server: EmulatorServer
) -> None:
    key = emulator.service_account(name="read-only-key", scopes=[SCOPE + READONLY_SCOPE])
    assert directory_service(emulator_server, key, READONLY_SCOPE).users().get(userKey=ADMIN).execute()
    writer = directory_service(emulator_server, key, USER_SCOPE)

    with pytest.raises(RefreshError) as caught:
        writer.users().insert(body=new_user("nunca")).execute()

    assert oauth_error(caught) == "unauthorized_client"
    assert emulator.calls("directory.users.insert") == 0


def test_a_subject_that_does_not_exist_is_an_invalid_grant(
    emulator: EmulatorControl, emulator_server: EmulatorServer, key_info: dict[str, Any]
) -> None:
    directory = directory_service(emulator_server, key_info, USER_SCOPE, subject=f"nadie@{DOMAIN}")

    with pytest.raises(RefreshError) as caught:
        directory.users().get(userKey=ADMIN).execute()

    assert oauth_error(caught) == "invalid_grant"


def test_a_non_admin_subject_is_forbidden_on_the_directory(
    emulator: EmulatorControl, emulator_server: EmulatorServer, key_info: dict[str, Any]
) -> None:
    emulator.seed(users=[new_user("aprendiz")])
    directory = directory_service(emulator_server, key_info, USER_SCOPE, subject=f"aprendiz@{DOMAIN}")

    expect_error(directory.users().get(userKey=ADMIN), 403, "forbidden")
    expect_error(directory.users().insert(body=new_user("otro")), 403, "forbidden")


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "required"),
        ({"Authorization": "Basic YWRtaW46YWRtaW4="}, "required"),
        ({"Authorization": "Bearer ya29.not-a-token-the-emulator-issued"}, "authError"),
    ],
    ids=["no-header", "not-bearer", "garbage-bearer"],
)
def test_a_missing_or_unknown_bearer_token_is_unauthenticated(
    emulator: EmulatorControl,
    emulator_server: EmulatorServer,
    headers: dict[str, str],
    reason: str,
) -> None:
    url = f"{emulator_server.base_url}admin/directory/v1/users/{ADMIN}"

    answer = httpx.get(url, headers=headers)

    assert answer.status_code == 401
    error = answer.json()["error"]
    assert error["code"] == 401
    assert error["status"] == "UNAUTHENTICATED"
    assert error["errors"][0]["reason"] == reason
    assert error["errors"][0]["location"] == "Authorization"
    assert ADMIN not in json.dumps(error)
