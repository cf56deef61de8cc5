"""``misena emulator`` as a user runs it: a separate process, a key file, the real client."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN
from workspace.directory import GoogleDirectory
from workspace.emulator.server import free_port
from workspace.google_session import GoogleConnection, ServiceFactory


@pytest.fixture
def emulator_process(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    key_file = tmp_path / "key.json"
    process = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
        [sys.executable, "-m", "app", "emulator", "--port", str(port), "--key-file", str(key_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(base + "_emulator/counters", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"emulator did not start: {output}")
            time.sleep(0.1)
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
