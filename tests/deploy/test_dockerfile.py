"""The Dockerfile's final stage agrees with the service and with deploy/: settings it sets,
the command it runs, the ports it exposes, its user, and the volume where SQLite would write."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import PurePosixPath

from sqlalchemy.engine import make_url

from app.settings import Settings
from tests.deploy.files import DOCKERFILE
from tests.deploy.service_facts import command_problem, image_uid, unknown_settings
from workspace.emulator.server import free_port


def final_stage(text: str) -> list[tuple[str, str]]:
    """The final stage's instructions as (INSTRUCTION, arguments), continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    lines = [
        line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    instructions = [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]
    start = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    return instructions[start:]


def _all(name: str) -> list[str]:
    return [
        args
        for instruction, args in final_stage(DOCKERFILE.read_text(encoding="utf-8"))
        if instruction == name
    ]


def test_the_image_sets_only_real_settings_and_runs_a_real_command() -> None:
    env = dict(pair.split("=", 1) for args in _all("ENV") for pair in shlex.split(args))
    assert unknown_settings([name for name in env if name.startswith("MISENA_")]) == []
    assert command_problem(json.loads(_all("CMD")[-1])) is None


def test_the_image_exposes_the_ports_the_processes_listen_on() -> None:
    exposed = {int(port) for args in _all("EXPOSE") for port in args.split()}
    env = dict(pair.split("=", 1) for args in _all("ENV") for pair in shlex.split(args))
    assert {int(env["MISENA_PORT"]), int(env["MISENA_WORKER_HEALTH_PORT"])} == exposed


def test_the_image_runs_as_the_uid_and_gid_the_manifests_name() -> None:
    run = " ".join(_all("RUN"))
    assert image_uid() == 10001
    assert re.search(r"groupadd\b[^&]*--gid 10001", run)
    assert _all("USER") == ["misena"]


def test_the_default_sqlite_database_is_in_the_declared_volume() -> None:
    """Without MISENA_DATABASE_URL the service writes SQLite relative to the working
    directory: that file must be in a VOLUME, not in the container's writable layer."""
    database = make_url(Settings.model_fields["database_url"].default).database
    assert database
    path = PurePosixPath(_all("WORKDIR")[-1]) / database
    volumes = [PurePosixPath(v) for args in _all("VOLUME") for v in json.loads(args)]
    assert any(volume in path.parents for volume in volumes), (path, volumes)


def _healthcheck_env(api_port: int, worker_port: int) -> dict[str, str]:
    return os.environ | {"MISENA_PORT": str(api_port), "MISENA_WORKER_HEALTH_PORT": str(worker_port)}


def test_the_image_healthcheck_passes_on_either_process_and_fails_on_neither(
    served_urls: dict[str, str],
) -> None:
    """The HEALTHCHECK's own command, run by this interpreter: it asks /livez on the API's port,
    then the worker's, so one image serves both kinds of container."""
    options, _, command = _all("HEALTHCHECK")[-1].partition("CMD")
    assert "--interval" in options
    argv = json.loads(command)
    assert argv[0] == "python"
    argv[0] = sys.executable
    ports = {role: int(url.rstrip("/").rsplit(":", 1)[1]) for role, url in served_urls.items()}
    closed = free_port("127.0.0.1")

    def run(api_port: int, worker_port: int) -> int:
        env = _healthcheck_env(api_port, worker_port)
        return subprocess.run(argv, env=env, capture_output=True, timeout=30, check=False).returncode

    assert run(ports["api"], closed) == 0
    assert run(closed, ports["worker"]) == 0
    assert run(closed, closed) != 0


def test_a_broken_final_stage_is_read_as_broken() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8").replace('CMD ["misena", "serve"]', 'CMD ["misena", "serv"]')
    cmd = [args for name, args in final_stage(text) if name == "CMD"][-1]
    assert command_problem(json.loads(cmd)) is not None
