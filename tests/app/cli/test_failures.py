"""No traceback for people: every way a staff command fails — the service down, the token refused,
nobody by that document, bad input, a file that is not there, a scope the token lacks, Ctrl-C —
is one Spanish line on stderr and the exit code ``app/cli/plumbing.py`` documents for it."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import pytest

from app.staff.tokens import Scope
from tests.support.cli_runs import Run, closed_port_url, refused_with
from tests.support.harness import Harness
from tests.support.service_process import start_misena
from tests.support.staff_client import staff_client

#: One of each kind of staff command, as a person would type it.
COMMANDS = [
    ("accounts", "search", "--document", "1098765432"),
    ("accounts", "show", "1098765432"),
    ("accounts", "suspend", "1098765432", "--reason", "Uso indebido"),
    ("jobs", "list"),
    ("jobs", "retry", "--dead"),
    ("brake", "list"),
    ("brake", "release", "--all"),
    ("sync", "show", "1"),
    ("sync", "pull"),
    ("sync", "export", "1", "-o", "-"),
    ("audit", "list"),
]


@pytest.fixture
def logged_in(shared: Harness, monkeypatch: pytest.MonkeyPatch, config_file: Path) -> Harness:
    monkeypatch.setenv("MISENA_URL", shared.base_url)
    monkeypatch.setenv("MISENA_TOKEN", staff_client(shared, Scope.ADMIN).token)
    return shared


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_with_the_service_down_each_command_says_so_in_one_line(
    command: tuple[str, ...], misena: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = closed_port_url()
    monkeypatch.setenv("MISENA_URL", url)
    monkeypatch.setenv("MISENA_TOKEN", "msn_0000_nada")
    line = refused_with(misena(*command), 7)
    assert line == (
        f"Sin conexión con misena: no se puede conectar con {url}: ¿está corriendo el servicio "
        "y es correcta la URL? (`misena login`)"
    )


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_refused_token_is_exit_8(
    command: tuple[str, ...], shared: Harness, misena: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MISENA_URL", shared.base_url)
    monkeypatch.setenv("MISENA_TOKEN", "msn_0000_revocado")
    assert refused_with(misena(*command), 8).startswith(
        f"Token rechazado: el servicio en {shared.base_url.rstrip('/')} rechazó el token"
    )


def test_not_logged_in_is_exit_7(misena: Run) -> None:
    for command in COMMANDS:
        assert "misena login" in refused_with(misena(*command), 7), command


def test_nothing_found_is_exit_3(logged_in: Harness, misena: Run) -> None:
    assert refused_with(misena("accounts", "show", "1098765432"), 3) == (
        "No encontrado: ninguna persona tiene ese documento"
    )
    assert refused_with(misena("accounts", "suspend", "--id", "4242", "--reason", "Uso indebido"), 3) == (
        "No encontrado: ninguna persona tiene ese id"
    )
    assert refused_with(misena("jobs", "show", "4242"), 3) == "No encontrado: ningún trabajo tiene ese id"
    for command in (("sync", "show", "4242"), ("sync", "apply", "4242"), ("sync", "export", "4242")):
        assert refused_with(misena(*command), 3) == "No encontrado: ninguna sincronización tiene ese id"
    assert refused_with(misena("brake", "release", "4242"), 3).startswith("No encontrado: ")


def test_bad_input_is_exit_2_before_any_request(logged_in: Harness, misena: Run, tmp_path: Path) -> None:
    for command in (
        ("accounts", "show", "XX:1098765432"),
        ("accounts", "show"),
        ("accounts", "suspend", "1098765432", "--reason", "no"),
        ("accounts", "search", "--state", "activo"),
        ("accounts", "search", "--ficha", "27'58"),
        ("jobs", "retry"),
        ("brake", "discard"),
        ("sync", "plan", str(tmp_path / "no-existe.csv")),
        ("sync", "apply", "cero"),
        ("audit", "list", "--since", "ayer"),
        ("accounts", "buscar"),
    ):
        line = refused_with(misena(*command), 2)
        assert line.startswith("Entrada inválida: "), line
    assert "page_token" in refused_with(misena("jobs", "list", "--page-token", "no-es-mio"), 2), (
        "the API's 400, with the field it names"
    )


def test_a_scope_the_token_lacks_is_exit_4(
    shared: Harness, misena: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MISENA_URL", shared.base_url)
    monkeypatch.setenv("MISENA_TOKEN", staff_client(shared, Scope.ACCOUNTS_READ).token)
    for command in (
        ("audit", "list"),
        ("sync", "list"),
        ("brake", "release", "--all"),
        ("jobs", "retry", "--dead"),
    ):
        assert refused_with(misena(*command), 4).startswith("No se puede (no se cambió nada): "), command


def test_output_does_not_wrap_when_piped(misena: Run) -> None:
    """At 80 columns this line would break inside the command it asks to copy; piped, it stays
    whole for the next program."""
    line = refused_with(misena("accounts", "search"), 7)
    assert len(line) > 80
    assert "`misena login --url URL --token TOKEN`" in line


def _env(url: str, config: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MISENA_")}
    return clean | {"MISENA_URL": url, "MISENA_TOKEN": "msn_0000_nada", "MISENA_CONFIG": str(config)}


def test_the_installed_command_never_prints_a_traceback(tmp_path: Path) -> None:
    """The real process (stdout and stderr in one log): the service down, then Ctrl-C while it
    waits for an answer."""
    log = tmp_path / "down.log"
    down = start_misena(["accounts", "search"], _env(closed_port_url(), tmp_path / "c.toml"), log)
    assert down.wait(timeout=60) == 7
    assert log.read_text("utf-8").count("\n") == 1, log.read_text("utf-8")
    assert log.read_text("utf-8").startswith("Sin conexión con misena: ")

    log = tmp_path / "interrupted.log"
    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        env = _env(f"http://127.0.0.1:{silent.getsockname()[1]}", tmp_path / "c.toml")
        waiting = start_misena(["jobs", "list"], env, log)
        silent.settimeout(60)
        connection, _ = silent.accept()  # the command is now waiting for the answer
        with connection:
            waiting.send_signal(signal.SIGINT)
            assert waiting.wait(timeout=60) == 130
    assert log.read_text("utf-8") == "Interrumpido: detenido con Ctrl-C\n"


def test_clicks_own_words_are_spanish(misena: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """The help's usage line and --help, and Click's usage errors, through the CLI's catalogue."""
    monkeypatch.setenv("COLUMNS", "200")  # Typer folds its help at the terminal's width
    shown = misena("accounts", "search", "--help")
    assert shown.exit_code == 0, shown.output
    assert "Uso: misena accounts search [OPCIONES]" in shown.stdout
    assert "Muestra esta ayuda y termina." in shown.stdout
    for english in ("Usage:", "Show this message and exit.", "[OPTIONS]"):
        assert english not in shown.stdout
    assert refused_with(misena("accounts", "search", "--nombre", "x"), 2).startswith(
        "Entrada inválida: no existe la opción --nombre (¿quiso decir --name?)"
    )
    assert refused_with(misena("accounts", "suspend", "1098765432"), 2).startswith(
        "Entrada inválida: falta '--reason', que es obligatorio"
    )
    assert refused_with(misena("jobs", "show", "uno"), 2).startswith(
        "Entrada inválida: valor inválido para 'ID': "
    )
