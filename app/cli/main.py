"""The ``misena`` command line (Typer). Help faces SENA's IT staff, so it is in Spanish."""

from __future__ import annotations

import json
from functools import partial
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import uvicorn
from rich.console import Console

from app.cli.accounts import accounts_cli
from app.cli.brake import brake_cli
from app.cli.jobs import jobs_cli
from app.cli.plumbing import load_settings, usage_error
from app.cli.sync import sync_cli
from app.cli.tokens import tokens_cli
from app.settings import Settings
from workspace.emulator.config import EmulatorConfig
from workspace.emulator.server import EmulatorServer

if TYPE_CHECKING:
    from app.runtime.services import Services

cli = typer.Typer(
    name="misena",
    help="misena: cuentas Mi SENA (Google Workspace) sincronizadas con Sofia Plus.",
    no_args_is_help=True,
    add_completion=False,
)
demo_cli = typer.Typer(
    help="Modo demostración: todo en esta máquina, sin credenciales.", no_args_is_help=False
)
cli.add_typer(demo_cli, name="demo")
cli.add_typer(brake_cli, name="brake")
cli.add_typer(sync_cli, name="sync")
cli.add_typer(tokens_cli, name="tokens")
cli.add_typer(accounts_cli, name="accounts")
cli.add_typer(jobs_cli, name="jobs")
console = Console(stderr=True)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"misena {package_version('misena')}")
        raise typer.Exit


@cli.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Muestra la versión y termina.",
        ),
    ] = False,
) -> None:
    """misena: cuentas Mi SENA (Google Workspace) sincronizadas con Sofia Plus."""


@cli.command()
def emulator(
    host: Annotated[str, typer.Option(help="Interfaz de escucha (loopback por defecto).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Puerto TCP.")] = 8787,
    key_file: Annotated[
        Path | None,
        typer.Option(help="Escribe aquí una llave de cuenta de servicio que el emulador acepta."),
    ] = None,
    no_limits: Annotated[
        bool, typer.Option("--no-limits", help="Sin las cuotas de Google (pruebas, benchmarks).")
    ] = False,
    latency_ms: Annotated[int, typer.Option(help="Latencia añadida por llamada, en ms.")] = 0,
    consistency_delay: Annotated[
        float,
        typer.Option(help="Segundos en que un usuario nuevo responde 404/412 antes de ser visible."),
    ] = 0.0,
) -> None:
    """Ejecuta el emulador local de Google Workspace (Directory API + Gmail API)."""
    config = EmulatorConfig(
        limits_enabled=not no_limits,
        latency_ms=latency_ms,
        consistency_delay_seconds=consistency_delay,
    )
    server = EmulatorServer(config, host=host, port=port)
    if key_file is not None:
        server.write_key_file(key_file)
        console.print(f"llave de cuenta de servicio escrita en [bold]{key_file}[/bold]")
    console.print(
        f"Emulador de Google en [bold]{server.base_url}[/bold] (dominio {config.domain}, "
        f"admin {config.admin_email}, cuotas {'activas' if config.limits_enabled else 'desactivadas'})"
    )
    server.serve_forever()


def _services_for(settings: Settings) -> Services:
    """The wired service, after the start-up schema step ``MISENA_SCHEMA_ON_START`` asks for."""
    from app.logging_setup import configure_logging
    from app.runtime.services import build_services
    from app.settings import OnStart

    configure_logging(settings.log_level, capture_uncaught=True)
    services = build_services(settings)
    if settings.schema_on_start is OnStart.MIGRATE:
        services.schema.migrate()
    else:
        services.schema.state()  # logs `waiting_for_schema` at once if the schema is behind
    return services


@cli.command()
def serve(
    worker: Annotated[
        bool,
        typer.Option(
            help="Ejecutar también el worker, en un proceso hijo supervisado (reiniciado si muere)."
        ),
    ] = True,
    host: Annotated[str, typer.Option(help="Interfaz de escucha.")] = "0.0.0.0",  # noqa: S104 - a server
    worker_health_port: Annotated[
        int | None,
        typer.Option(
            help="Puerto de /livez, /readyz y /metrics del worker hijo "
            "(por defecto MISENA_WORKER_HEALTH_PORT; 0: ninguno)."
        ),
    ] = None,
) -> None:
    """API (webhook de Sofia Plus, salud, métricas) y, por defecto, el worker en su propio proceso."""
    from app.http.guard import uvicorn_options
    from app.http.main import create_app
    from app.runtime.worker_process import WorkerProcess

    settings = load_settings()
    health_port = settings.worker_health_port if worker_health_port is None else worker_health_port
    if worker and health_port == settings.port:
        usage_error(
            f"el worker no puede servir su salud en el puerto de la API ({health_port}): "
            "cambie MISENA_WORKER_HEALTH_PORT o use --worker-health-port (0: ninguno)",
            "--worker-health-port",
        )
    child = WorkerProcess(worker_child, (health_port, host)) if worker else None
    app = create_app(_services_for(settings), worker_process=child)
    uvicorn.run(app, **uvicorn_options(host=host, port=settings.port))


@cli.command("worker")
def worker_command(
    threads: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Hilos de trabajo (por defecto MISENA_WORKER_THREADS)."),
    ] = None,
    health_port: Annotated[
        int | None,
        typer.Option(
            help="Puerto de /livez, /readyz y /metrics (por defecto MISENA_WORKER_HEALTH_PORT; 0: ninguno)."
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Interfaz de escucha de la salud.")] = "0.0.0.0",  # noqa: S104 - a server
) -> None:
    """Solo el worker: concilia personas y envía credenciales."""
    settings = load_settings()
    if threads is not None:
        settings = settings.model_copy(update={"worker_threads": threads})
    port = settings.worker_health_port if health_port is None else health_port
    run_worker(settings, port, host)


def worker_child(health_port: int, host: str) -> None:
    """``misena serve``'s worker, in the child process :mod:`app.runtime.worker_process` starts
    (module-level: the spawned interpreter imports it by name). It never migrates: ``serve``
    did that step already (or waits for ``misena migrate``), and the child waits for it."""
    from app.settings import OnStart

    settings = load_settings().model_copy(update={"schema_on_start": OnStart.WAIT})
    run_worker(settings, health_port, host, in_child=True)


def run_worker(settings: Settings, health_port: int, host: str, *, in_child: bool = False) -> None:
    """The worker's loops, with its probes on ``health_port`` (0: none), until SIGTERM or
    Ctrl-C — or, ``in_child``, until the parent process is gone."""
    import signal
    import threading

    from app.http.guard import uvicorn_options
    from app.http.health import create_health_app
    from app.runtime.worker import WorkerPool
    from app.runtime.worker_process import watch_parent

    pool = WorkerPool(_services_for(settings))
    pool.start()
    try:
        if health_port:
            config = uvicorn.Config(create_health_app(pool), **uvicorn_options(host=host, port=health_port))
            server = uvicorn.Server(config)
            if in_child:
                watch_parent(partial(setattr, server, "should_exit", True))
            server.run()
        else:
            done = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: done.set())
            if in_child:
                watch_parent(done.set)
            while not done.wait(1.0):
                pass
    except KeyboardInterrupt:
        pass
    finally:
        pool.stop()


@cli.command()
def migrate() -> None:
    """Aplica las migraciones de base de datos (Alembic) hasta la última versión."""
    from app.db.engine import make_engine
    from app.db.migrate import current_revision, upgrade

    settings = load_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    console.print(f"base de datos en la versión [bold]{current_revision(engine)}[/bold]")


@cli.command()
def openapi(
    output: Annotated[Path, typer.Option(help="Archivo de salida.")] = Path("openapi/openapi.json"),
) -> None:
    """Regenera el documento OpenAPI del servicio."""
    from app.http.main import openapi_document

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(f"OpenAPI escrito en [bold]{output}[/bold]")


@demo_cli.callback(invoke_without_command=True)
def demo_run(ctx: typer.Context) -> None:
    """Arranca el servicio en modo demostración (SQLite + emulador de Google)."""
    if ctx.invoked_subcommand is not None:
        return
    from app.demo.run import run_demo

    run_demo(console)


@demo_cli.command("enroll")
def demo_enroll(
    document: Annotated[str, typer.Option(help="Número de documento del aprendiz.")] = "1098765432",
    email: Annotated[str, typer.Option(help="Correo personal del aprendiz.")] = "majo.pena@example.com",
    first_names: Annotated[str, typer.Option(help="Nombres.")] = "MARÍA JOSÉ",
    last_names: Annotated[str, typer.Option(help="Apellidos.")] = "PEÑA DE LA TORRE",
    ficha: Annotated[str, typer.Option(help="Ficha.")] = "2758392",
) -> None:
    """Envía al servicio en demostración una matrícula firmada (enrollment.created)."""
    from app.demo.environment import SECRET_FILE, sample_enrollment, send_signed

    port = Settings(demo_mode=True).port
    secret = SECRET_FILE.read_text("utf-8").strip()
    event = sample_enrollment(document, email, first_names, last_names, ficha)
    response = send_signed(f"http://127.0.0.1:{port}/webhooks/sofia-plus", secret, event)
    console.print(f"HTTP {response.status_code}: {response.text}")


def main() -> None:
    cli()


@demo_cli.command("show")
def demo_show(
    document: Annotated[str, typer.Argument(help="Número de documento del aprendiz.")],
) -> None:
    """Muestra la cuenta creada en el emulador y el correo de credenciales enviado."""
    from app.demo.show import show_account

    show_account(document, console)
