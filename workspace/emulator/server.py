"""Run the emulator on a real socket: in a background thread for tests, or in the foreground.

Tests need real HTTP (the point is that the unmodified Google client talks to it), so they
start this on a free loopback port rather than using an in-process transport.
"""

from __future__ import annotations

import json
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from workspace.emulator.auth import create_service_account
from workspace.emulator.config import EmulatorConfig
from workspace.emulator.http_app import DateOnEmulatorClock, create_app
from workspace.emulator.limits import FaultPlan
from workspace.emulator.state import EmulatorState


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class BackgroundServer:
    """Any ASGI app served by uvicorn in a daemon thread on ``host:port`` (tests, demo)."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0, name: str = "server") -> None:
        self.host = host
        self.port = port or free_port(host)
        self.name = name
        self._server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=host,
                port=self.port,
                # uvicorn leaves logging to the process: in demo mode the service shares it, and
                # its lines must stay the service's JSON lines (app.logging_setup).
                log_config=None,
                log_level="warning",
                access_log=False,
                lifespan="on" if name != "emulator" else "off",
                timeout_keep_alive=30,
                # the emulator stamps its own Date, on its own clock (http_app.DateOnEmulatorClock)
                date_header=name != "emulator",
            )
        )
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self, timeout: float = 10.0) -> None:
        self._thread = threading.Thread(target=self._server.run, name=self.name, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"{self.name} did not start on {self.base_url}")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def serve_forever(self) -> None:
        self._server.run()


class EmulatorServer:
    """An emulator with its own state, served by uvicorn on ``host:port``."""

    def __init__(
        self, config: EmulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.state = EmulatorState(config=config or EmulatorConfig())
        self.faults = FaultPlan(self.state.config.seed)
        self.app = create_app(self.state, self.faults)
        self._background = BackgroundServer(
            DateOnEmulatorClock(self.app, self.state), host=host, port=port, name="emulator"
        )
        self.host = host
        self.port = self._background.port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    @property
    def token_uri(self) -> str:
        return f"http://{self.host}:{self.port}/token"

    def issue_key(self, name: str = "misena", scopes: frozenset[str] | None = None) -> dict[str, Any]:
        """A service-account key file (as a dict) this emulator trusts."""
        with self.state.lock:
            kwargs = {"delegated_scopes": scopes} if scopes is not None else {}
            return create_service_account(self.state, self.token_uri, name=name, **kwargs).key_file

    def write_key_file(self, path: Path, name: str = "misena") -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.issue_key(name), indent=2), encoding="utf-8")
        path.chmod(0o600)
        return path

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        self._background.start(timeout)
        return self

    def stop(self) -> None:
        self._background.stop()

    def serve_forever(self) -> None:
        self._background.serve_forever()


def start_in_own_process(
    command: list[str], base_url: str, *, timeout: float = 60.0
) -> subprocess.Popen[bytes]:
    """Start ``command`` (an emulator serving ``base_url``) and return once its control plane
    answers: tests and benchmarks that need the emulator in a process of its own."""
    # Our handle closes on return; the child writes through its own copy of the descriptor.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603 - the caller's command
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(f"{base_url.rstrip('/')}/_emulator/counters", timeout=1).raise_for_status()
                return process
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    process.kill()
                    log.seek(0)
                    output = log.read().decode(errors="replace")
                    raise RuntimeError(f"the emulator did not start: {output[-2000:]}") from None
                time.sleep(0.1)
