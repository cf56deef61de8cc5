"""The emulator's Sign in with Google (OpenID Connect) over real HTTP: discovery, the sign-in
form checking the Directory's passwords, the code for an RS256 ID token verifiable against the
JWKS (with ``hd``, ``email``, ``email_verified``, ``nonce``), PKCE, single-use codes, client
authentication, and personal accounts without ``hd``."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import EmulatorServer

CLIENT = {"client_id": "console-test", "client_secret": "a-client-secret-for-tests"}
REDIRECT = "http://127.0.0.1:9/console/auth/google/callback"
USER = ("ana.agente@misena.edu.co", "Agente-Clave-2026")
VERIFIER = "v" * 50
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


@pytest.fixture
def google(emulator: EmulatorControl, emulator_server: EmulatorServer) -> Iterator[httpx.Client]:
    emulator.seed(users=[{"primaryEmail": USER[0], "name": {"givenName": "Ana", "familyName": "Agente"},
                          "password": USER[1]}])  # fmt: skip
    with httpx.Client(base_url=emulator_server.base_url.rstrip("/"), timeout=10) as client:
        client.post("/_emulator/oidc/clients", json=CLIENT).raise_for_status()
        yield client


def _authorize(client: httpx.Client, address: str, password: str, **extra: str) -> httpx.Response:
    params = {"client_id": CLIENT["client_id"], "redirect_uri": REDIRECT, "response_type": "code",
              "scope": "openid email", "state": "st-1", "nonce": "n-1", "code_challenge": CHALLENGE,
              "code_challenge_method": "S256", **extra}  # fmt: skip
    form = client.get("/o/oauth2/v2/auth", params=params)
    assert form.status_code == 200
    assert 'name="password"' in form.text
    return client.post("/o/oauth2/v2/auth", data={**params, "email": address, "password": password})


def _code(answer: httpx.Response) -> str:
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?")
    assert "state=st-1" in location
    found = re.search(r"code=([^&]+)", location)
    assert found is not None
    return found.group(1)


def _exchange(client: httpx.Client, code: str, **changes: Any) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "code_verifier": VERIFIER, **changes}  # fmt: skip
    form = {k: v for k, v in form.items() if v is not None}
    return client.post("/oauth2/v4/token", data=form, auth=(CLIENT["client_id"], CLIENT["client_secret"]))


def test_discovery_names_the_endpoints_under_the_issuer(google: httpx.Client) -> None:
    found = google.get("/.well-known/openid-configuration").json()
    issuer = str(google.base_url).rstrip("/")
    assert found["issuer"] == issuer
    assert found["authorization_endpoint"] == issuer + "/o/oauth2/v2/auth"
    assert found["token_endpoint"] == issuer + "/oauth2/v4/token"
    assert found["jwks_uri"] == issuer + "/oauth2/v3/certs"
    assert "S256" in found["code_challenge_methods_supported"]


def test_the_code_gives_an_id_token_signed_with_the_published_key(google: httpx.Client) -> None:
    answer = _exchange(google, _code(_authorize(google, *USER)))
    assert answer.status_code == 200, answer.text
    keys = KeySet.import_key_set(google.get("/oauth2/v3/certs").json())
    token = jwt.decode(answer.json()["id_token"], keys, algorithms=["RS256"])
    assert token.header["alg"] == "RS256"
    claims = token.claims
    assert claims["iss"] == str(google.base_url).rstrip("/")
    assert claims["aud"] == CLIENT["client_id"]
    assert (claims["email"], claims["email_verified"], claims["hd"]) == (USER[0], True, "misena.edu.co")
    assert claims["nonce"] == "n-1"
    assert claims["exp"] > claims["iat"]


def test_a_code_is_single_use_and_needs_the_pkce_verifier(google: httpx.Client) -> None:
    code = _code(_authorize(google, *USER))
    assert _exchange(google, code, code_verifier=None).json()["error"] == "invalid_grant"
    code = _code(_authorize(google, *USER))
    assert _exchange(google, code, code_verifier="w" * 50).json()["error"] == "invalid_grant"
    code = _code(_authorize(google, *USER))
    assert _exchange(google, code).status_code == 200
    assert _exchange(google, code).json()["error"] == "invalid_grant"


def test_the_client_must_authenticate_and_keep_its_redirect_uri(google: httpx.Client) -> None:
    code = _code(_authorize(google, *USER))
    wrong = google.post("/oauth2/v4/token", data={"grant_type": "authorization_code", "code": code,
                        "redirect_uri": REDIRECT}, auth=(CLIENT["client_id"], "not-the-secret"))  # fmt: skip
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    moved = _exchange(google, code, redirect_uri="http://127.0.0.1:9/elsewhere")
    assert moved.json()["error"] == "redirect_uri_mismatch"
    unknown = google.get("/o/oauth2/v2/auth", params={"client_id": "nobody", "redirect_uri": REDIRECT,
                         "response_type": "code", "scope": "openid"})  # fmt: skip
    assert unknown.status_code == 401


def test_wrong_passwords_and_suspended_accounts_do_not_sign_in(
    google: httpx.Client, emulator: EmulatorControl
) -> None:
    refused = _authorize(google, USER[0], "not-the-password")
    assert refused.status_code == 401
    assert "incorrectos" in refused.text
    suspended_user = {"primaryEmail": "suspendida@misena.edu.co", "suspended": True,
                      "password": "Clave-2026-x", "name": {"givenName": "S", "familyName": "S"}}  # fmt: skip
    emulator.seed(users=[suspended_user])
    suspended = _authorize(google, "suspendida@misena.edu.co", "Clave-2026-x")
    assert suspended.status_code == 401
    assert "suspendida" in suspended.text


def test_a_personal_account_signs_in_without_hd(google: httpx.Client) -> None:
    google.post(
        "/_emulator/oidc/personal-accounts", json={"email": "olga@gmail.com", "password": "Personal-2026"}
    )
    answer = _exchange(google, _code(_authorize(google, "olga@gmail.com", "Personal-2026")))
    keys = KeySet.import_key_set(google.get("/oauth2/v3/certs").json())
    claims = jwt.decode(answer.json()["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["email"] == "olga@gmail.com"
    assert "hd" not in claims
