"""What the service really is, read from its code: the ``MISENA_*`` settings, the ``misena``
commands and their options, the paths each process serves and the port it listens on.

The deployment files are checked against these, so a renamed setting, command, option, probe
path or port breaks a test here instead of a deployment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import typer
import typer.core
import typer.main
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from app.cli.main import cli
from app.settings import Settings
from tests.deploy.files import DOCKERFILE

PREFIX = "MISENA_"
NESTED = "__"


def _fields(model: type[BaseModel]) -> dict[str, FieldInfo]:
    return dict(model.model_fields)


def is_setting(name: str) -> bool:
    """Whether ``name`` is an environment variable pydantic-settings reads into :class:`Settings`
    (``MISENA_`` + a field, nested models with ``__``; case-insensitive, as pydantic-settings)."""
    if not name.upper().startswith(PREFIX):
        return False
    parts = name[len(PREFIX) :].lower().split(NESTED)
    model: type[BaseModel] | None = Settings
    for index, part in enumerate(parts):
        if model is None:
            return False
        field = _fields(model).get(part)
        if field is None:
            return False
        annotation = field.annotation
        nested = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        if index == len(parts) - 1:
            return True
        model = annotation if nested else None
    return False


def unknown_settings(names: Sequence[str]) -> list[str]:
    return sorted(name for name in names if not is_setting(name))


def command_problem(argv: Sequence[str]) -> str | None:
    """Why ``argv`` is not a ``misena`` command line the CLI accepts (``None`` when it is):
    the subcommand path is resolved through the Typer app's command tree and the leaf's options
    and arguments parsed and converted, without running anything."""
    line = " ".join(argv)
    if not argv or argv[0] != "misena":
        return f"{line}: not the misena command"
    command = typer.main.get_command(cli)
    args = list(argv[1:])
    path = ["misena"]
    while isinstance(command, typer.core.TyperGroup) and args and not args[0].startswith("-"):
        sub = command.get_command(typer.Context(command), args[0])
        if sub is None:
            return f"{line}: no command {args[0]!r} under {' '.join(path)!r}"
        path.append(args.pop(0))
        command = sub
    if isinstance(command, typer.core.TyperGroup):
        return f"{line}: {' '.join(path)!r} needs a subcommand"
    try:
        command.make_context(" ".join(path), args, resilient_parsing=False)
    except typer.TyperException as exc:
        return f"{line}: {exc}"
    return None


def process_role(argv: Sequence[str]) -> str | None:
    """Which app a command serves: ``api`` (``serve``), ``worker`` (``worker``), or none."""
    if len(argv) >= 2 and argv[0] == "misena":
        return {"serve": "api", "worker": "worker"}.get(argv[1])
    return None


def listening_port(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """The port the process ``argv`` starts listens on with ``env``: the API on ``MISENA_PORT``,
    the worker's probes on ``--health-port`` or ``MISENA_WORKER_HEALTH_PORT`` (defaults when unset)."""
    role = process_role(argv)
    if role == "worker" and "--health-port" in argv:
        return int(argv[list(argv).index("--health-port") + 1])
    field = {"api": "port", "worker": "worker_health_port"}[str(role)]
    name = PREFIX + field.upper()
    if name in env:
        return int(env[name])
    default = Settings.model_fields[field].default
    assert isinstance(default, int)
    return default


def image_uid() -> int:
    """The uid the Dockerfile's image runs as."""
    match = re.search(r"useradd\b[^\n]*--uid\s+(\d+)", DOCKERFILE.read_text(encoding="utf-8"))
    assert match, "the Dockerfile creates no user with --uid"
    return int(match.group(1))
