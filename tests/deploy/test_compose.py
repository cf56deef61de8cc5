"""deploy/compose.yaml and deploy/.env.example: a valid Compose file that starts PostgreSQL,
then the migration, then the API and the worker, true to the service."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from app.settings import Settings
from tests.deploy.compose_files import (
    env_example_problems,
    interpolate,
    parse_env,
    schema_problems,
    service_problems,
)
from tests.deploy.files import COMPOSE, ENV_EXAMPLE, REPO, load_yaml
from tests.support.harness import SECRET
from workspace.emulator.server import free_port


def _compose() -> dict[str, Any]:
    doc: dict[str, Any] = load_yaml(COMPOSE)
    return doc


def test_the_compose_file_is_valid_for_the_compose_specification() -> None:
    assert schema_problems(_compose()) == []


def test_services_start_in_order_and_fit_the_service(served_paths: dict[str, set[str]]) -> None:
    assert service_problems(_compose(), served_paths) == []


def test_the_env_example_names_every_variable_and_holds_placeholders_only() -> None:
    assert (
        env_example_problems(COMPOSE.read_text(encoding="utf-8"), ENV_EXAMPLE.read_text(encoding="utf-8"))
        == []
    )


def test_the_filled_in_env_file_and_the_key_are_never_committed() -> None:
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {"deploy/.env", "deploy/secrets/"} <= set(ignored)


def _healthcheck(name: str, port: int) -> list[str]:
    """A service's healthcheck command, run by this interpreter against ``port``."""
    command = [str(part) for part in _compose()["services"][name]["healthcheck"]["test"]]
    assert command[:2] == ["CMD", "python"], command
    return [sys.executable, *(re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{port}", p) for p in command[2:])]


@pytest.mark.parametrize(("name", "role"), [("api", "api"), ("worker", "worker")])
def test_the_healthcheck_commands_pass_on_the_running_service_and_fail_without_it(
    name: str, role: str, served_urls: dict[str, str]
) -> None:
    port = int(served_urls[role].rstrip("/").rsplit(":", 1)[1])
    assert (
        subprocess.run(_healthcheck(name, port), capture_output=True, timeout=30, check=False).returncode == 0
    )
    closed = free_port("127.0.0.1")
    assert (
        subprocess.run(_healthcheck(name, closed), capture_output=True, timeout=30, check=False).returncode
        != 0
    )


def _load_settings(monkeypatch: pytest.MonkeyPatch, **env_file: str) -> Settings:
    """Settings as the API container gets them from compose.yaml and deploy/.env."""
    for name in [name for name in os.environ if name.upper().startswith("MISENA_")]:
        monkeypatch.delenv(name)
    variables = parse_env(ENV_EXAMPLE.read_text(encoding="utf-8")) | env_file
    for name, value in _compose()["services"]["api"]["environment"].items():
        monkeypatch.setenv(name, interpolate(str(value), variables))
    return Settings()


def test_the_example_env_loads_but_its_placeholder_secret_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValidationError, match="MISENA_WEBHOOK_SECRETS holds a default or too-short secret"):
        _load_settings(monkeypatch)
    settings = _load_settings(monkeypatch, MISENA_WEBHOOK_SECRETS=SECRET, POSTGRES_PASSWORD="pw")
    assert settings.database_url == "postgresql://misena:pw@postgres:5432/misena"
    assert str(settings.google_key_file) == "/run/secrets/google-service-account"


def test_compose_refuses_to_start_without_a_required_variable() -> None:
    with pytest.raises(ValueError, match="POSTGRES_PASSWORD is required"):
        interpolate("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in deploy/.env}", {"POSTGRES_PASSWORD": ""})
    assert interpolate("misena:${IMAGE_TAG:-local} $$HOME", {}) == "misena:local $HOME"


Mutation = Callable[[dict[str, Any]], None]


def _service(doc: dict[str, Any], name: str) -> dict[str, Any]:
    service: dict[str, Any] = doc["services"][name]
    return service


def _mutated(mutate: Mutation) -> dict[str, Any]:
    doc = copy.deepcopy(_compose())
    mutate(doc)
    return doc


SCHEMA_MUTATIONS: dict[str, Mutation] = {
    "a misspelt depends_on condition": lambda d: _service(d, "api")["depends_on"]["migrate"].update(
        condition="service_completed"
    ),
    "an unknown service key": lambda d: _service(d, "worker").update(comand=["misena", "worker"]),
    "a healthcheck with a bad interval": lambda d: _service(d, "postgres")["healthcheck"].update(interval=5),
    "an unknown top-level key": lambda d: d.update(service={}),
}


@pytest.mark.parametrize("mutate", SCHEMA_MUTATIONS.values(), ids=SCHEMA_MUTATIONS.keys())
def test_a_file_compose_would_refuse_is_refused(mutate: Mutation) -> None:
    assert schema_problems(_mutated(mutate)) != []


SERVICE_MUTATIONS: dict[str, Mutation] = {
    "the migration not waiting for a healthy database": lambda d: _service(d, "migrate")["depends_on"][
        "postgres"
    ].update(condition="service_started"),
    "the API not waiting for the migration to finish": lambda d: _service(d, "api")["depends_on"][
        "migrate"
    ].update(condition="service_started"),
    "the worker not waiting at all": lambda d: _service(d, "worker").pop("depends_on"),
    "a migration that restarts": lambda d: _service(d, "migrate").update(restart="on-failure"),
    "no migration": lambda d: d["services"].pop("migrate"),
    "a database without a healthcheck": lambda d: _service(d, "postgres").pop("healthcheck"),
    "a database in an anonymous volume": lambda d: _service(d, "postgres").update(
        volumes=["/var/lib/postgresql/data"]
    ),
    "a healthcheck on the worker's port for the API": lambda d: _service(d, "api")["healthcheck"].update(
        test=["CMD", "python", "-c", "u.urlopen('http://127.0.0.1:8001/livez')"]
    ),
    "a healthcheck on readiness": lambda d: _service(d, "worker")["healthcheck"].update(
        test=["CMD", "python", "-c", "u.urlopen('http://127.0.0.1:8001/readyz')"]
    ),
    "an option the CLI lacks": lambda d: _service(d, "api").update(command=["misena", "serve", "--api-only"]),
    "a misspelt setting": lambda d: _service(d, "worker")["environment"].update(MISENA_WORKER_THREAD="4"),
    "an env file nobody checks": lambda d: _service(d, "worker").update(env_file=[".env"]),
    "a writable root": lambda d: _service(d, "api").pop("read_only"),
    "the key file not a secret": lambda d: _service(d, "migrate")["environment"].update(
        MISENA_GOOGLE_KEY_FILE="/srv/misena/sa.json"
    ),
    "an undefined secret": lambda d: d.pop("secrets"),
}


@pytest.mark.parametrize("mutate", SERVICE_MUTATIONS.values(), ids=SERVICE_MUTATIONS.keys())
def test_services_that_start_out_of_order_or_do_not_fit_are_refused(
    mutate: Mutation, served_paths: dict[str, set[str]]
) -> None:
    assert service_problems(_mutated(mutate), served_paths) != []


ENV_MUTATIONS = {
    "a variable .env.example lacks": ("API_PORT=8000\n", ""),
    "a variable compose does not use": ("IMAGE_TAG=local\n", "IMAGE_TAG=local\nUNUSED=1\n"),
    "a real password": ("POSTGRES_PASSWORD=REPLACE_ME", "POSTGRES_PASSWORD=s3cret-Passw0rd"),
    "a MISENA_ name that is no setting": ("IMAGE_TAG=local\n", "IMAGE_TAG=local\nMISENA_IMAGE=x\n"),
}


@pytest.mark.parametrize(("old", "new"), ENV_MUTATIONS.values(), ids=ENV_MUTATIONS.keys())
def test_a_broken_env_example_is_refused(old: str, new: str) -> None:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    assert env_example_problems(COMPOSE.read_text(encoding="utf-8"), text.replace(old, new)) != []
