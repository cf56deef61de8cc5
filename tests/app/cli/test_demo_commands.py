"""``make run`` and a second terminal: ``misena demo`` (the real process) leaves a ``demo`` profile
that is the default, so ``demo enroll``, ``demo show``, ``accounts search`` and ``tokens create``
need no variable at all; once it stops, each says in one line that it is not running."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.cli.profiles import load_book
from tests.support.cli_runs import Run, closed_port_url, refused_with
from tests.support.service_process import get_json, start_misena, wait_until


def _port() -> str:
    return closed_port_url().rsplit(":", 1)[1]


@pytest.fixture
def demo(tmp_path: Path, config_file: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """``misena demo`` running in its own directory, as ``make run`` starts it."""
    port, emulator_port = _port(), _port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISENA_")}
    env |= {"MISENA_PORT": port, "MISENA_EMULATOR_PORT": emulator_port, "MISENA_CONFIG": str(config_file)}
    (tmp_path / "var").mkdir()
    log = tmp_path / "demo.log"
    process = start_misena(["demo"], env, log, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        started = wait_until(lambda: get_json(url + "/readyz")[0] == 200, timeout=60)
        assert started, log.read_text("utf-8")
        monkeypatch.chdir(tmp_path)  # the second terminal, in the same checkout
        yield {"url": url, "log": log, "process": process}
    finally:
        process.terminate()
        process.wait(timeout=30)


def _active(misena: Run, document: str) -> bool:
    found = misena("accounts", "search", "--document", document, "--json")
    items = json.loads(found.stdout)["items"] if found.exit_code == 0 else []
    return bool(items) and items[0]["account_status"] == "active"


def test_a_second_terminal_needs_nothing(demo: dict[str, Any], misena: Run, config_file: Path) -> None:
    book = load_book(config_file)
    assert book.default == "demo"
    assert book.profiles["demo"].url == demo["url"]
    banner = demo["log"].read_text("utf-8")
    assert f"Perfil «demo»:       en {config_file}, el perfil por defecto" in banner

    sent = misena("demo", "enroll", "--document", "1098765432", "--email", "majo.pena@example.com")
    assert sent.exit_code == 0, sent.output
    assert "matrícula de 1098765432 recibida" in sent.stdout
    assert wait_until(lambda: _active(misena, "1098765432"), timeout=30), "the demo's worker made the account"

    shown = misena("demo", "show", "1098765432")
    assert shown.exit_code == 0, shown.output
    assert "Cuenta 1098765432@misena.edu.co" in shown.stdout
    assert "cambiar contraseña al ingresar: sí" in shown.stdout
    assert "Correo enviado de notificaciones@misena.edu.co" in shown.stdout
    assert "Contraseña temporal" in shown.stdout
    unknown = misena("demo", "show", "77777777")
    assert "misena demo enroll --document 77777777" in refused_with(unknown, 3)

    token = misena("tokens", "create", "--name", "mesa-de-ayuda", "--scope", "accounts:read")
    assert token.exit_code == 0, token.output
    audit = misena("audit", "list", "--action", "token.create", "--json")
    assert [e["actor"] for e in json.loads(audit.stdout)["items"]][-1] == "demo", "the demo issued its own"

    demo["process"].terminate()
    demo["process"].wait(timeout=30)
    stopped = f"el servicio de demostración en {demo['url']} no está corriendo: inicie `make run`"
    for command in (("demo", "enroll"), ("demo", "show", "1098765432"), ("accounts", "search")):
        assert refused_with(misena(*command), 7) == stopped, command


def test_without_make_run_the_demo_commands_say_so(misena: Run) -> None:
    for command in (("demo", "enroll"), ("demo", "show", "1098765432")):
        assert refused_with(misena(*command), 7) == "la demostración no está corriendo: inicie `make run`"
