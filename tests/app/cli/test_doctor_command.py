"""``misena doctor`` as a person runs it: the Spanish table, ``--json``, and an exit code that is
0 only when no check fails — otherwise that of the first failure's kind (plumbing's table);
and the demo's own environment (``make run``) passes every check."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app.cli.plumbing import ExitCode
from app.db.engine import make_engine
from app.db.migrate import upgrade
from app.demo.environment import start_demo
from app.doctor.report import Status
from app.doctor.run import run_doctor
from tests.support.cli_runs import Run
from tests.support.doctor_tenant import WEAK_SECRET, key_file, migrated_sqlite, seed_like_the_demo
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import EmulatorServer, free_port


@pytest.fixture
def configured(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    emulator: EmulatorControl,
    emulator_server: EmulatorServer,
) -> pytest.MonkeyPatch:
    """The MISENA_* settings of a deployment pointed at the emulator, nothing else from the machine."""
    for variable in [v for v in os.environ if v.startswith("MISENA_") and v != "MISENA_CONFIG"]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("MISENA_WEBHOOK_SECRETS", "whsec_" + "QUJD" * 11)  # 33 bytes of key
    monkeypatch.setenv("MISENA_GOOGLE_KEY_FILE", str(key_file(emulator, tmp_path)))
    monkeypatch.setenv("MISENA_GOOGLE_API_ENDPOINT", emulator_server.base_url)
    monkeypatch.setenv("MISENA_DATABASE_URL", migrated_sqlite(tmp_path))
    return monkeypatch


def test_a_sound_set_up_is_a_spanish_table_and_exit_0(
    configured: pytest.MonkeyPatch, emulator: EmulatorControl, misena: Run
) -> None:
    seed_like_the_demo(emulator)
    result = misena("doctor")
    assert result.exit_code == 0, result.output
    assert "Verificación" in result.stdout
    assert "Qué hacer" in result.stdout
    assert "correcto" in result.stdout
    assert "aviso" in result.stdout, "the seats Google does not tell"
    assert "todas las verificaciones pasaron" in result.stderr
    answer = json.loads(misena("doctor", "--json").stdout)
    assert answer["passed"] is True
    assert set(answer["checks"][0]) == {"name", "area", "status", "message", "hint"}
    assert {c["status"] for c in answer["checks"]} == {"ok", "warn"}


def test_a_google_failure_exits_5_with_its_hint_in_the_json(
    configured: pytest.MonkeyPatch, emulator: EmulatorControl, misena: Run
) -> None:
    seed_like_the_demo(emulator, schemas=[])
    result = misena("doctor", "--json")
    assert result.exit_code == ExitCode.UPSTREAM, result.output
    answer = json.loads(result.stdout)
    assert answer["passed"] is False
    (schema,) = [c for c in answer["checks"] if c["status"] == "fail"]
    assert schema["name"] == "schema:SofiaPlus"
    assert schema["hint"].startswith("Créelo en la Consola de administración")
    table = misena("doctor")
    assert table.exit_code == ExitCode.UPSTREAM
    assert "1 verificación(es) fallaron" in table.stderr


def test_a_weak_secret_exits_2_and_an_unmigrated_database_6(
    configured: pytest.MonkeyPatch, emulator: EmulatorControl, misena: Run, tmp_path: Path
) -> None:
    seed_like_the_demo(emulator)
    configured.setenv("MISENA_WEBHOOK_SECRETS", WEAK_SECRET)
    assert misena("doctor").exit_code == ExitCode.USAGE
    configured.setenv("MISENA_WEBHOOK_SECRETS", "whsec_" + "QUJD" * 11)
    configured.setenv("MISENA_DATABASE_URL", f"sqlite:///{tmp_path}/vacia.db")
    result = misena("doctor", "--json")
    assert result.exit_code == ExitCode.UNAVAILABLE
    checks = {c["name"]: c["status"] for c in json.loads(result.stdout)["checks"]}
    assert (checks["database"], checks["seats"]) == ("fail", "skipped")


def test_the_demo_environment_passes_every_check(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MISENA_WEBHOOK_SECRETS", raising=False)
    monkeypatch.delenv("MISENA_DATABASE_URL", raising=False)
    demo = start_demo(free_port(), free_port(), var=tmp_path)
    try:
        upgrade(make_engine(demo.settings.database_url))  # as `misena demo` does before serving
        report = run_doctor(demo.settings)
    finally:
        demo.emulator.stop()
    assert report.passed, [v.as_json() for v in report.failures]
    assert {v.name for v in report.verdicts if v.status is not Status.OK} == {"seats"}
