"""deploy/compose.yaml checked offline.

* Against the Compose Specification's JSON schema (the copy check-jsonschema ships, with its
  Apache-2.0 licence): the schema Docker Compose itself validates files against.
* The start order: PostgreSQL healthy, then the one-shot migration, then the API and the
  worker once it exited 0; healthchecks on ``/livez`` of the port each process listens on.
* The service itself: ``misena`` commands that parse, ``MISENA_*`` variables that are
  settings, a read-only root with a writable /tmp, the key file a mounted compose secret.
* deploy/.env.example names every variable compose interpolates, and holds placeholders only.
"""

from __future__ import annotations

import importlib.resources
import io
import json
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import jsonschema
from dotenv import dotenv_values

from tests.deploy.manifests import PLACEHOLDER
from tests.deploy.service_facts import command_problem, listening_port, process_role, unknown_settings

#: ``${NAME}``, ``${NAME:-default}``, ``${NAME-default}``, ``${NAME:?error}``, ``${NAME?error}``.
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
#: Variables of deploy/.env that must never hold a real value in the example.
SECRET_VARIABLES = ("POSTGRES_PASSWORD", "MISENA_WEBHOOK_SECRETS")
SECRETS_DIR = "/run/secrets/"


@cache
def compose_schema() -> dict[str, Any]:
    resource = importlib.resources.files("check_jsonschema") / "builtin_schemas/vendor/compose-spec.json"
    schema: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return schema


def schema_problems(doc: Any) -> list[str]:
    validator_class = jsonschema.validators.validator_for(compose_schema())
    validator = validator_class(compose_schema())
    return [
        f"{'.'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    ]


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """Compose's interpolation of one string, from ``variables`` (deploy/.env)."""

    def replace(match: re.Match[str]) -> str:
        name, op, arg = match.group("name", "op", "arg")
        value = variables.get(name)
        if op in (":-", ":?") and not value:
            value = None
        if value is None and op and op.endswith("?"):
            raise ValueError(f"{name} is required: {arg}")
        return value if value is not None else (arg or "")

    return INTERPOLATION.sub(replace, value.replace("$$", "\0")).replace("\0", "$")


def _argv(service: Mapping[str, Any]) -> list[str]:
    command = service.get("command") or []
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def _environment(service: Mapping[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return {str(k): str(v) for k, v in environment.items()}


def _depends(service: Mapping[str, Any], on: str) -> str | None:
    """The condition ``service`` waits for on ``on`` (``None``: it does not wait for it)."""
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):
        return "service_started" if on in depends else None
    if on not in depends:
        return None
    return str((depends[on] or {}).get("condition", "service_started"))


def service_problems(doc: Mapping[str, Any], served: Mapping[str, set[str]]) -> list[str]:
    services: Mapping[str, Any] = doc.get("services") or {}
    problems: list[str] = []
    postgres = services.get("postgres") or {}
    volumes = [str(v).split(":", 1)[0] for v in postgres.get("volumes") or []]
    if not any(v in (doc.get("volumes") or {}) for v in volumes):
        problems.append("postgres: its data is in no named volume")
    if not (postgres.get("healthcheck") or {}).get("test"):
        problems.append("postgres: no healthcheck (the migration waits for it to be healthy)")
    misena = {name: s for name, s in services.items() if _argv(s)[:1] == ["misena"]}
    migrations = [name for name, s in misena.items() if _argv(s)[1:2] == ["migrate"]]
    if len(migrations) != 1:
        return [*problems, f"exactly one service must run `misena migrate`, found {migrations}"]
    migrate = migrations[0]
    if _depends(services[migrate], "postgres") != "service_healthy":
        problems.append(f"{migrate}: must start once postgres is healthy (condition: service_healthy)")
    if str(services[migrate].get("restart", "no")) != "no":
        problems.append(f'{migrate}: a one-shot: restart must be "no"')
    roles = {process_role(_argv(s)) for s in misena.values()}
    if not {"api", "worker"} <= roles:
        problems.append(
            f"needs an API (`misena serve`) and a worker (`misena worker`) service, found {roles}"
        )
    for name, service in misena.items():
        problems += [f"{name}: {problem}" for problem in _misena_service_problems(doc, service, served)]
        if name != migrate and _depends(service, migrate) != "service_completed_successfully":
            problems.append(f"{name}: must start after {migrate} exited 0 (service_completed_successfully)")
    return problems


def _misena_service_problems(
    doc: Mapping[str, Any], service: Mapping[str, Any], served: Mapping[str, set[str]]
) -> list[str]:
    argv = _argv(service)
    env = _environment(service)
    problems = [problem for problem in [command_problem(argv)] if problem]
    problems += [f"{name} is not a setting of app/settings.py" for name in unknown_settings(list(env))]
    if service.get("env_file"):
        problems.append("env_file passes unchecked variables: name each in `environment`")
    if service.get("read_only") is not True or "/tmp" not in (service.get("tmpfs") or []):
        problems.append("needs read_only: true and a tmpfs on /tmp (where roster uploads spill)")
    key_file = env.get("MISENA_GOOGLE_KEY_FILE", "")
    secret = key_file.removeprefix(SECRETS_DIR)
    if not key_file.startswith(SECRETS_DIR) or secret not in _secret_names(service):
        problems.append(f"MISENA_GOOGLE_KEY_FILE {key_file!r} is no compose secret of this service")
    elif secret not in (doc.get("secrets") or {}):
        problems.append(f"secret {secret!r} is not defined at the top level")
    role = process_role(argv)
    if role is None:
        return problems
    test = " ".join(map(str, (service.get("healthcheck") or {}).get("test") or []))
    port = listening_port(argv, env)
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/[^'\"\s)]*)", test)
    if url is None or int(url.group(1)) != port or url.group(2) != "/livez":
        problems.append(
            f"healthcheck must ask http://127.0.0.1:{port}/livez, where `misena {argv[1]}` answers"
        )
    elif url.group(2) not in served[role]:
        problems.append(f"healthcheck path {url.group(2)} is not served")
    return problems


def _secret_names(service: Mapping[str, Any]) -> set[str]:
    return {
        s if isinstance(s, str) else str(s.get("target") or s["source"]) for s in service.get("secrets") or []
    }


def env_example_problems(compose_text: str, example_text: str) -> list[str]:
    """deploy/.env.example defines exactly what compose.yaml interpolates; secrets are placeholders."""
    example = parse_env(example_text)
    used = {match.group("name") for match in INTERPOLATION.finditer(compose_text)}
    problems = [
        f"{name}: compose.yaml uses it, .env.example lacks it" for name in sorted(used - set(example))
    ]
    problems += [f"{name}: in .env.example, unused by compose.yaml" for name in sorted(set(example) - used)]
    problems += [
        f"{name}: .env.example must hold the {PLACEHOLDER} placeholder, not a value"
        for name in SECRET_VARIABLES
        if example.get(name) != PLACEHOLDER
    ]
    problems += [
        f"{name}: a MISENA_ name that is not a setting"
        for name in unknown_settings([n for n in example if n.startswith("MISENA_")])
    ]
    return problems


def parse_env(text: str) -> dict[str, str]:
    return {name: value or "" for name, value in dotenv_values(stream=io.StringIO(text)).items()}
