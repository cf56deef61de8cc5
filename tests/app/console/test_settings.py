"""The console's settings: roles from JSON, Google sign-in configured whole or refused at start."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from structlog.testing import capture_logs

from app.console.application import session_secret_of
from app.console.settings import ConsoleSettings
from app.staff.tokens import Scope

GOOGLE = {
    "MISENA_CONSOLE_GOOGLE_CLIENT_ID": "id.apps.googleusercontent.com",
    "MISENA_CONSOLE_GOOGLE_CLIENT_SECRET": "a-secret-of-the-client",
    "MISENA_CONSOLE_GOOGLE_DOMAIN": "sena.edu.co",
}
ROLES = [
    {"scopes": ["accounts:read"], "group": "mesa@sena.edu.co"},
    {"scopes": ["admin"], "emails": [" Jefe@SENA.edu.co "]},
]


def test_roles_are_read_from_json_with_emails_lowered(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**GOOGLE, "MISENA_CONSOLE_ROLES": json.dumps(ROLES)}.items():
        monkeypatch.setenv(name, value)
    settings = ConsoleSettings()
    assert settings.google_enabled
    assert settings.roles[0].group == "mesa@sena.edu.co"
    assert settings.roles[1].emails == ["jefe@sena.edu.co"]
    assert settings.roles[1].scopes == [Scope.ADMIN]


@pytest.mark.parametrize("left_out", sorted(GOOGLE))
def test_half_a_google_configuration_is_refused(monkeypatch: pytest.MonkeyPatch, left_out: str) -> None:
    for name, value in {**GOOGLE, "MISENA_CONSOLE_ROLES": json.dumps(ROLES)}.items():
        if name != left_out:
            monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=left_out):
        ConsoleSettings()


def test_google_without_roles_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in GOOGLE.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match="MISENA_CONSOLE_ROLES"):
        ConsoleSettings()


def test_an_unknown_scope_in_a_role_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "MISENA_CONSOLE_ROLES", json.dumps([{"scopes": ["root"], "emails": ["a@sena.edu.co"]}])
    )
    with pytest.raises(ValidationError, match="scopes"):
        ConsoleSettings()


def test_without_google_only_tokens_sign_in_and_the_cookie_follows_the_scheme() -> None:
    assert not ConsoleSettings().google_enabled
    assert ConsoleSettings(public_url="https://misena.sena.edu.co").secure_cookie
    assert not ConsoleSettings(public_url="http://127.0.0.1:8000").secure_cookie


def test_a_deployment_without_a_session_secret_is_warned_and_a_short_secret_refused() -> None:
    with capture_logs() as logs:
        first = session_secret_of(ConsoleSettings(public_url="https://misena.sena.edu.co"))
        second = session_secret_of(ConsoleSettings())
    assert [entry["event"] for entry in logs] == ["console_session_secret_unset"]
    assert first != second
    assert len(first) >= 32
    chosen = "s" * 40
    assert session_secret_of(ConsoleSettings(session_secret=chosen)) == chosen
    with pytest.raises(ValidationError, match="session_secret"):
        ConsoleSettings(session_secret="short")
