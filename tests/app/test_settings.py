from __future__ import annotations

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from app.cli.main import cli
from app.settings import Settings

GOOD = "whsec_" + "A" * 43


def test_production_refuses_to_start_without_a_webhook_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MISENA_WEBHOOK_SECRETS", raising=False)
    with pytest.raises(ValidationError, match="MISENA_WEBHOOK_SECRETS is required"):
        Settings()


@pytest.mark.parametrize("secret", ["changeme", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_short"])
def test_production_refuses_default_or_short_secrets(monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    monkeypatch.setenv("MISENA_WEBHOOK_SECRETS", secret)
    with pytest.raises(ValidationError, match="default or too-short"):
        Settings()


def test_demo_mode_starts_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MISENA_WEBHOOK_SECRETS", raising=False)
    assert Settings(demo_mode=True).webhook_secrets == ()


def test_lists_come_comma_separated_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISENA_WEBHOOK_SECRETS", f"{GOOD}, {GOOD[:-1]}B")
    monkeypatch.setenv("MISENA_MAIL_SENDERS", "Uno@misena.edu.co,dos@misena.edu.co")
    settings = Settings()
    assert len(settings.webhook_secrets) == 2
    assert settings.mail_senders == ("uno@misena.edu.co", "dos@misena.edu.co")
    assert GOOD not in repr(settings)


def test_policy_is_configurable_through_nested_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISENA_POLICY__APPRENTICE_ORG_UNIT", "/Estudiantes/{regional_code}")
    assert Settings(demo_mode=True).policy.apprentice_org_unit == "/Estudiantes/{regional_code}"


def test_the_sofia_roster_url_and_token_go_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISENA_SOFIA_ROSTER_URL", "https://sofia.example/reportes/matriculas")
    monkeypatch.delenv("MISENA_SOFIA_ROSTER_TOKEN", raising=False)
    with pytest.raises(ValidationError, match="set both or neither"):
        Settings(demo_mode=True)
    monkeypatch.setenv("MISENA_SOFIA_ROSTER_TOKEN", "sofia-token-123")
    settings = Settings(demo_mode=True)
    assert str(settings.sofia_roster_url) == "https://sofia.example/reportes/matriculas"
    assert settings.sofia_roster_timeout_seconds == 120
    assert "sofia-token-123" not in repr(settings)


def test_production_sends_the_sofia_roster_token_over_https_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISENA_WEBHOOK_SECRETS", GOOD)
    monkeypatch.setenv("MISENA_SOFIA_ROSTER_URL", "http://sofia.example/reportes/matriculas")
    monkeypatch.setenv("MISENA_SOFIA_ROSTER_TOKEN", "sofia-token-123")
    with pytest.raises(ValidationError, match="must be https"):
        Settings()
    assert Settings(demo_mode=True).sofia_roster_url is not None


def test_the_log_level_comes_from_the_environment_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISENA_LOG_LEVEL", " debug ")
    assert Settings(demo_mode=True).log_level == "DEBUG"
    monkeypatch.delenv("MISENA_LOG_LEVEL")
    assert Settings(demo_mode=True).log_level == "INFO"


def test_an_unknown_log_level_stops_the_start_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISENA_LOG_LEVEL", "verbose")
    with pytest.raises(ValidationError, match="MISENA_LOG_LEVEL must be one of DEBUG, INFO, WARNING"):
        Settings(demo_mode=True)


def test_serve_with_an_unknown_log_level_stops_before_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The clear error at start: the variable named, exit code 2 — nothing served (the values it
    may take are in the settings' own error, tested above)."""
    monkeypatch.setenv("MISENA_DEMO_MODE", "true")
    monkeypatch.setenv("MISENA_LOG_LEVEL", "verbose")
    result = CliRunner().invoke(cli, ["serve", "--no-worker"])
    assert result.exit_code == 2
    assert "MISENA_LOG_LEVEL debe ser uno de DEBUG, INFO, WARNING, ERROR, CRITICAL" in " ".join(
        result.output.split()
    )


def test_the_sign_in_check_interval_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISENA_SIGNIN_CHECK_INTERVAL_SECONDS", "900")
    assert Settings(demo_mode=True).signin_check_interval_seconds == 900.0
    monkeypatch.setenv("MISENA_SIGNIN_CHECK_INTERVAL_SECONDS", "0")
    with pytest.raises(ValidationError, match="signin_check_interval_seconds"):
        Settings(demo_mode=True)
