"""Shell completion: Typer's, with its options' help in Spanish, answering a real shell's request."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: The console script a person types (its name is what the shell completes, `_MISENA_COMPLETE`).
MISENA = Path(sys.executable).with_name("misena")


def _misena(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MISENA), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200", **env},
        timeout=60,
    )


def test_bash_asks_and_misena_completes_its_commands() -> None:
    """What the script `misena --install-completion` installs runs on every Tab."""
    answer = _misena(_MISENA_COMPLETE="complete_bash", COMP_WORDS="misena acc", COMP_CWORD="1")
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.split() == ["accounts"]


def test_the_completion_options_are_explained_in_spanish() -> None:
    shown = _misena("--help").stdout
    assert "Instala el autocompletado para el shell actual" in shown
    assert "Muestra el script de autocompletado" in shown
    assert "Install completion" not in shown
