"""The server-side commands: a missing or wrong setting is one Spanish line naming its
``MISENA_*`` variable (never pydantic's report), and ``migrate``/``tokens`` need nothing but the
database — so beside a running demo they work from a second terminal with no variable at all."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from app.staff.tokens import Scope
from tests.support.cli_runs import Run, refused_with

SECRET = "whsec_" + base64.b64encode(b"a-secret-long-enough-for-misena!").decode()


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, config_file: Path) -> Path:
    """No MISENA_* setting at all, in an empty directory (as on a new machine)."""
    for variable in [v for v in os.environ if v.startswith("MISENA_") and v != "MISENA_CONFIG"]:
        monkeypatch.delenv(variable)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_serve_names_the_variable_it_needs(clean: Path, misena: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    assert refused_with(misena("serve"), 2) == (
        "configuración: falta MISENA_WEBHOOK_SECRETS, obligatoria fuera del modo demostración "
        "(secretos whsec_..., separados por comas)"
    )
    monkeypatch.setenv("MISENA_WEBHOOK_SECRETS", "changeme")
    assert "MISENA_WEBHOOK_SECRETS tiene un secreto conocido" in refused_with(misena("worker"), 2)
    monkeypatch.setenv("MISENA_WEBHOOK_SECRETS", SECRET)
    monkeypatch.setenv("MISENA_PORT", "ochenta")
    assert refused_with(misena("serve"), 2) == (
        "configuración: MISENA_PORT tiene un valor inválido (ver app/settings.py)"
    )
    monkeypatch.delenv("MISENA_PORT")
    monkeypatch.setenv("MISENA_BRAKE__LIMIT", "-1")
    assert "MISENA_BRAKE__LIMIT tiene un valor inválido" in refused_with(misena("worker"), 2)
    monkeypatch.delenv("MISENA_BRAKE__LIMIT")
    monkeypatch.setenv("MISENA_SOFIA_ROSTER_URL", "https://sofia.example/reporte")
    assert "MISENA_SOFIA_ROSTER_TOKEN van juntas" in refused_with(misena("serve"), 2)
    monkeypatch.delenv("MISENA_SOFIA_ROSTER_URL")
    monkeypatch.setenv("MISENA_GOOGLE_KEY_FILE", str(clean / "no-existe.json"))
    assert refused_with(misena("worker"), 2) == (
        f"configuración: MISENA_GOOGLE_KEY_FILE nombra un archivo que no existe: {clean / 'no-existe.json'}"
    )


def test_migrate_and_tokens_need_only_the_database(clean: Path, misena: Run) -> None:
    assert "¿está en marcha?" in refused_with(misena("migrate"), 6), "no var/ for the SQLite file yet"
    (clean / "var").mkdir()  # as `make run` makes it
    migrated = misena("migrate")
    assert migrated.exit_code == 0, migrated.output
    assert "base de datos en la versión" in migrated.stderr
    assert (clean / "var" / "misena.db").exists(), "the demo's database, where `make run` keeps it"
    created = misena("tokens", "create", "--name", "mesa-de-ayuda", "--scope", str(Scope.ADMIN), "--json")
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["token"].startswith("msn_")
    assert "misena login" in created.stderr, "it says what to do with it"
    assert "vigente" in misena("tokens", "list").stdout


def test_a_database_url_that_is_not_one_is_one_line(
    clean: Path, misena: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MISENA_DATABASE_URL", "no es una url")
    for command in (("migrate",), ("tokens", "list")):
        assert refused_with(misena(*command), 2) == (
            "configuración: MISENA_DATABASE_URL no es una URL de base de datos"
        ), command
