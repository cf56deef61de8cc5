"""Shell completion: Typer's, with its options' help in Spanish, answering a real shell's request."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: The console script a person types (its name is what the shell completes, `_MISENA_COMPLETE`).
MISENA = str(Path(sys.executable).with_name("misena"))


def test_bash_asks_and_misena_completes_its_commands() -> None:
    """What the script `misena --install-completion` installs runs on every Tab."""
    bash = {**os.environ, "_MISENA_COMPLETE": "complete_bash", "COMP_WORDS": "misena acc", "COMP_CWORD": "1"}
    answer = subprocess.run([MISENA], capture_output=True, text=True, check=False, env=bash, timeout=60)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.split() == ["accounts"]


def test_the_completion_options_are_explained_in_spanish() -> None:
    wide = {**os.environ, "COLUMNS": "200"}
    shown = subprocess.run([MISENA, "--help"], capture_output=True, text=True, check=True, env=wide).stdout
    assert "Instala el autocompletado para el shell actual" in shown
    assert "Muestra el script de autocompletado" in shown
    assert "Install completion" not in shown
