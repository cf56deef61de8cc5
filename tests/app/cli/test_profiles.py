"""``misena login``, ``logout`` and ``profiles``: a URL and token checked against the real service,
kept in a per-user file (0600, tokens masked when listed), several profiles and a default, and
``MISENA_URL``/``MISENA_TOKEN``/``MISENA_PROFILE`` over the file."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

import pytest

from app.cli.profiles import config_path
from app.staff.tokens import Scope
from tests.support.cli_runs import Run, closed_port_url, refused_with
from tests.support.harness import Harness
from tests.support.staff_client import staff_client


def test_login_checks_the_token_and_keeps_the_profile_private(
    shared: Harness, misena: Run, config_file: Path
) -> None:
    token = staff_client(shared, Scope.ACCOUNTS_READ).token
    done = misena("login", "--url", shared.base_url, "--token", token)
    assert done.exit_code == 0, done.output
    assert "perfil «default» guardado" in done.stderr
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600, "it holds a secret"
    stored = tomllib.loads(config_file.read_text("utf-8"))
    assert stored["default"] == "default"
    assert stored["profiles"]["default"] == {"url": shared.base_url.rstrip("/"), "token": token}

    searched = misena("accounts", "search", "--json")
    assert searched.exit_code == 0, searched.output
    assert json.loads(searched.stdout)["items"] == []

    listed = misena("profiles")
    assert listed.exit_code == 0, listed.output
    assert token not in listed.output
    assert token.split("_", 2)[2] not in listed.output, "nor the secret part"
    assert f"msn_…{token[-4:]}" in listed.output, "masked: its kind and last four characters"
    assert "sí" in listed.output, "which one is the default"


def test_several_profiles_a_default_and_the_overrides(
    shared: Harness, misena: Run, config_file: Path
) -> None:
    reader = staff_client(shared, Scope.ACCOUNTS_READ).token
    runner = staff_client(shared, Scope.SYNC_RUN).token
    assert misena("login", "--url", shared.base_url, "--token", reader, "--profile", "mesa").exit_code == 0
    assert misena("login", "--url", shared.base_url, "--token", runner, "--profile", "masivo",
                  "--not-default").exit_code == 0  # fmt: skip
    shown = json.loads(misena("profiles", "--json").stdout)
    assert shown["default"] == "mesa"
    assert [p["name"] for p in shown["profiles"]] == ["mesa", "masivo"]
    assert reader not in json.dumps(shown)

    assert misena("accounts", "search").exit_code == 0, "the default: an accounts:read token"
    forbidden = misena("accounts", "--profile", "masivo", "search")
    assert "No se puede" in refused_with(forbidden, 4), "the sync:run token lacks accounts:read (403)"
    assert misena("sync", "--profile", "masivo", "list").exit_code == 0

    with pytest.MonkeyPatch.context() as env:
        env.setenv("MISENA_PROFILE", "masivo")
        refused_with(misena("accounts", "search"), 4)
        env.setenv("MISENA_TOKEN", reader)  # over the profile's token
        assert misena("accounts", "search").exit_code == 0
    unknown = misena("accounts", "--profile", "nadie", "search")
    assert "misena login --profile nadie" in refused_with(unknown, 7)

    assert misena("logout", "--profile", "mesa").exit_code == 0
    assert json.loads(misena("profiles", "--json").stdout)["default"] == "masivo", "the next one"
    assert "nadie" in refused_with(misena("logout", "--profile", "nadie"), 3)


def test_only_the_environment_needs_no_file(shared: Harness, misena: Run, config_file: Path) -> None:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MISENA_URL", shared.base_url)
        env.setenv("MISENA_TOKEN", staff_client(shared, Scope.ACCOUNTS_READ).token)
        assert misena("accounts", "search").exit_code == 0
    assert not config_file.exists()
    message = refused_with(misena("accounts", "search"), 7)
    assert message.startswith("Sin conexión con misena: no ha iniciado sesión: ejecute `misena login")


def test_a_refused_login_stores_nothing(shared: Harness, misena: Run, config_file: Path) -> None:
    bad = refused_with(misena("login", "--url", shared.base_url, "--token", "msn_0000_nada"), 8)
    assert bad.startswith("Token rechazado: ")
    down = refused_with(misena("login", "--url", closed_port_url(), "--token", "msn_0000_nada"), 7)
    assert "no se puede conectar con http://127.0.0.1:" in down
    useless = staff_client(shared, Scope.JOBS_WRITE).token  # may read neither people nor sync runs
    assert "accounts:read" in refused_with(misena("login", "--url", shared.base_url, "--token", useless), 4)
    assert "dirección web" in refused_with(misena("login", "--url", "http://[::1", "--token", useless), 2)
    assert not config_file.exists()


def test_the_file_lives_under_xdg_config_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MISENA_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_path() == tmp_path / "misena" / "config.toml"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config_path() == tmp_path / ".config" / "misena" / "config.toml"


def test_a_broken_file_is_one_line(misena: Run, config_file: Path) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text("default = [", encoding="utf-8")
    assert str(config_file) in refused_with(misena("accounts", "search"), 2)
