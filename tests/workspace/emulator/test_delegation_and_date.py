"""Two things of Google's front end ``misena doctor`` leans on: an admin editing a client id's
domain-wide delegation (its keys get tokens with the new scopes from then on), and the ``Date``
every answer carries — one header, on the emulator's clock, so a test can skew it."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import httpx
import pytest

from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import EmulatorServer
from workspace.google_session import GoogleConnection
from workspace.preflight import Preflight, TokenRefusedError

SCOPE = "https://www.googleapis.com/auth/"


def test_editing_a_delegation_changes_the_tokens_its_keys_get(
    emulator: EmulatorControl, emulator_server: EmulatorServer
) -> None:
    key = emulator.service_account("delegada")
    preflight = Preflight(
        GoogleConnection(key_info=key, api_endpoint=emulator_server.base_url),
        admin="admin@misena.edu.co",
        customer="my_customer",
    )
    preflight.token("admin@misena.edu.co", SCOPE + "admin.directory.group")
    emulator.delegate(key["client_id"], [SCOPE + "admin.directory.user"])
    with pytest.raises(TokenRefusedError) as refused:
        preflight.token("admin@misena.edu.co", SCOPE + "admin.directory.group")
    assert refused.value.error == "unauthorized_client"
    assert refused.value.description == (
        "Client is unauthorized to retrieve access tokens using this method, "
        "or client not authorized for any of the scopes requested."
    )
    preflight.token("admin@misena.edu.co", SCOPE + "admin.directory.user")
    unknown = httpx.put(
        f"{emulator_server.base_url}_emulator/service-accounts/123/delegation", json={"scopes": []}
    )
    assert unknown.status_code == 404


def test_every_answer_has_one_date_on_the_emulators_clock(
    emulator: EmulatorControl, emulator_server: EmulatorServer
) -> None:
    before = httpx.head(emulator_server.base_url + "admin/directory/v1/users")
    assert len(before.headers.get_list("date")) == 1
    emulator.advance_clock(3600)
    after = httpx.head(emulator_server.base_url + "admin/directory/v1/users")
    assert len(after.headers.get_list("date")) == 1
    moved = parsedate_to_datetime(after.headers["date"]) - parsedate_to_datetime(before.headers["date"])
    assert 3599 <= moved.total_seconds() <= 3605
