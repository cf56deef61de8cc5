"""The ``misena`` command line.

Only the emulator lives here for now; the service commands (serve, worker, demo) join it as
the service grows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from workspace.emulator.config import EmulatorConfig
from workspace.emulator.server import EmulatorServer

cli = typer.Typer(
    name="misena",
    help="misena: cuentas Mi SENA (Google Workspace) sincronizadas con Sofia Plus.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)


@cli.callback()
def _root() -> None:
    """misena: cuentas Mi SENA (Google Workspace) sincronizadas con Sofia Plus."""


@cli.command()
def emulator(
    host: Annotated[str, typer.Option(help="Interface to listen on (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port.")] = 8787,
    key_file: Annotated[
        Path | None,
        typer.Option(help="Write a service-account key the emulator trusts to this path."),
    ] = None,
    no_limits: Annotated[
        bool, typer.Option("--no-limits", help="Turn Google's quotas off (benchmarks, tests).")
    ] = False,
    latency_ms: Annotated[int, typer.Option(help="Added latency per API call, in ms.")] = 0,
    consistency_delay: Annotated[
        float, typer.Option(help="Seconds a new user answers 404/412 before it is visible.")
    ] = 0.0,
) -> None:
    """Run the local Google Workspace emulator (Directory API + Gmail API)."""
    config = EmulatorConfig(
        limits_enabled=not no_limits,
        latency_ms=latency_ms,
        consistency_delay_seconds=consistency_delay,
    )
    server = EmulatorServer(config, host=host, port=port)
    if key_file is not None:
        server.write_key_file(key_file)
        console.print(f"service-account key written to [bold]{key_file}[/bold]")
    console.print(
        f"Google emulator on [bold]{server.base_url}[/bold] "
        f"(domain {config.domain}, admin {config.admin_email}, "
        f"limits {'on' if config.limits_enabled else 'off'})"
    )
    server.serve_forever()


def main() -> None:
    cli()
