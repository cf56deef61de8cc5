"""``misena emulator`` as a user runs it: a separate process, a key file, the real client."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.google import ADMIN
from workspace.directory import GoogleDirectory
from workspace.emulator.server import free_port, start_in_own_process
from workspace.google_session import GoogleConnection, ServiceFactory


@pytest.fixture
def emulator_process(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    key_file = tmp_path / "key.json"
    base = f"http://127.0.0.1:{port}/"
    command = [sys.executable, "-m", "app", "emulator", "--port", str(port), "--key-file", str(key_file)]
    process = start_in_own_process(command, base, timeout=30)
    yield base, key_file
    process.terminate()
    process.wait(timeout=10)


def test_the_key_file_it_writes_works_with_the_real_client(
    emulator_process: tuple[str, Path],
) -> None:
    base, key_file = emulator_process
    key = json.loads(key_file.read_text("utf-8"))
    assert key["type"] == "service_account"
    assert key["token_uri"] == base + "token"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    directory = GoogleDirectory(ServiceFactory(GoogleConnection(key_file=key_file, api_endpoint=base)), ADMIN)
    admin = directory.get_user(ADMIN)
    assert admin is not None
    assert admin.is_admin is True
