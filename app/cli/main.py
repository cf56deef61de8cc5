"""The ``misena`` command line (Typer): the server's commands and IT staff's, in Spanish.

Server-side commands (``serve``, ``worker``, ``migrate``, ``tokens``, ``emulator``, ``demo``) run
the service or touch its database; the staff commands (``accounts``, ``jobs``, ``brake``,
``sync``, ``audit``) are clients of its API through a profile (``login``). :class:`SafeGroup`
makes sure nothing reaches a person as a traceback: Ctrl-C and any unexpected error become one
line and an exit code (:mod:`app.cli.plumbing`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from functools import partial
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import uvicorn

from app.cli.accounts import accounts_cli
from app.cli.audit import audit_cli
from app.cli.brake import brake_cli
from app.cli.demo_commands import demo_cli
from app.cli.doctor import doctor
from app.cli.jobs import jobs_cli
from app.cli.login import login, logout, profiles
from app.cli.plumbing import CliError, ExitCode, usage_error
from app.cli.rendering import err_console
from app.cli.reports import report_cli
from app.cli.server_side import check_google_credentials, database_url, load_settings
from app.cli.spanish_typer import SpanishGroup, SpanishTyper, usage_message
from app.cli.sync import sync_cli
from app.cli.tokens import tokens_cli
from app.i18n import cli_gettext as _
from app.settings import Settings

if TYPE_CHECKING:
    from app.runtime.services import Services


class SafeGroup(SpanishGroup):
    """The root group: every way a command ends badly is one Spanish line and an exit code.

    Click's own usage errors, a :class:`CliError` from any command, Ctrl-C and any error no
    command expected (told by its class only; the service's log has the rest). Typer would draw
    its errors in a box; here each is one line, which a script can also read.
    """

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (CliError, typer.TyperException, typer.Exit, typer.Abort, BrokenPipeError):
            raise  # a closed pipe (`| head`) ends quietly, as Click ends it
        except KeyboardInterrupt:
            raise CliError(ExitCode.INTERRUPTED, _("stopped with Ctrl-C")) from None
        except Exception as exc:
            raise CliError(
                ExitCode.ERROR,
                _("unexpected failure ({kind}); nothing more is known here: see the service's log").format(
                    kind=type(exc).__name__
                ),
            ) from exc

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
            code = result if isinstance(result, int) and not isinstance(result, bool) else 0
        except CliError as failure:
            failure.show()
            code = failure.exit_code
        except typer.TyperException as exc:
            code = _usage_failure(exc)
        except typer.Abort:
            CliError(ExitCode.INTERRUPTED, _("stopped")).show()
            code = ExitCode.INTERRUPTED
        if standalone_mode:
            sys.exit(code)
        return code


def _usage_failure(exc: typer.TyperException) -> int:
    """Click's usage error as one line, with where to read the command's help."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # the help was printed: nothing to add
        return exc.exit_code
    ctx = getattr(exc, "ctx", None)
    hint = (
        " " + _("(see `{command} --help`)").format(command=ctx.command_path)
        if ctx is not None and getattr(ctx, "command_path", None)
        else ""
    )
    CliError(ExitCode.USAGE, usage_message(exc) + hint).show()
    return exc.exit_code


cli = SpanishTyper(
    name="misena",
    cls=SafeGroup,
    help=_("misena: Mi SENA accounts (Google Workspace) kept in step with Sofia Plus."),
    no_args_is_help=True,
    # `misena --install-completion` (bash, zsh, fish); `--show-completion` prints the script.
    add_completion=True,
    pretty_exceptions_enable=False,
)
cli.add_typer(demo_cli, name="demo")
cli.add_typer(accounts_cli, name="accounts")
cli.add_typer(jobs_cli, name="jobs")
cli.add_typer(brake_cli, name="brake")
cli.add_typer(sync_cli, name="sync")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(report_cli, name="report")
cli.add_typer(tokens_cli, name="tokens")
cli.command(
    "doctor",
    help=_("Check Google's set-up and this machine's before serving: each problem with what to fix."),
)(doctor)
cli.command("login", help=_("Check a URL and token against the service and save them as a profile."))(login)
cli.command("logout", help=_("Forget a profile (its token included)."))(logout)
cli.command("profiles", help=_("List the saved profiles (tokens masked)."))(profiles)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"misena {package_version('misena')}")
        raise typer.Exit


@cli.callback(help=_("misena: Mi SENA accounts (Google Workspace) kept in step with Sofia Plus."))
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help=_("Show the version and exit.")
        ),
    ] = False,
) -> None:
    """The root: only ``--version`` of its own."""


@cli.command(help=_("Run the local Google Workspace emulator (Directory API + Gmail API)."))
def emulator(
    host: Annotated[str, typer.Option(help=_("Interface to listen on (loopback by default)."))] = "127.0.0.1",
    port: Annotated[int, typer.Option(help=_("TCP port."))] = 8787,
    key_file: Annotated[
        Path | None,
        typer.Option(help=_("Write here a service-account key the emulator accepts."), show_default=False),
    ] = None,
    no_limits: Annotated[
        bool, typer.Option("--no-limits", help=_("Without Google's quotas (tests, benchmarks)."))
    ] = False,
    latency_ms: Annotated[int, typer.Option(help=_("Latency added to each call, in ms."))] = 0,
    consistency_delay: Annotated[
        float,
        typer.Option(help=_("Seconds a new user answers 404/412 before it is visible.")),
    ] = 0.0,
) -> None:
    from workspace.emulator.config import EmulatorConfig
    from workspace.emulator.server import EmulatorServer

    config = EmulatorConfig(
        limits_enabled=not no_limits,
        latency_ms=latency_ms,
        consistency_delay_seconds=consistency_delay,
    )
    server = EmulatorServer(config, host=host, port=port)
    console = err_console()
    if key_file is not None:
        server.write_key_file(key_file)
        console.print(_("service-account key written to [bold]{path}[/bold]").format(path=key_file))
    console.print(
        _("Google emulator at [bold]{url}[/bold] (domain {domain}, admin {admin}, quotas {quotas})").format(
            url=server.base_url, domain=config.domain, admin=config.admin_email,
            quotas=_("on") if config.limits_enabled else _("off"),
        )
    )  # fmt: skip
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


def server_settings() -> Settings:
    settings = load_settings()
    check_google_credentials(settings)
    return settings


@cli.command(
    help=_("API (Sofia Plus webhook, health, metrics) and, by default, the worker in its own process.")
)
def serve(
    worker: Annotated[
        bool,
        typer.Option(help=_("Also run the worker, in a supervised child process (restarted if it dies).")),
    ] = True,
    host: Annotated[str, typer.Option(help=_("Interface to listen on."))] = "0.0.0.0",  # noqa: S104 - a server
    worker_health_port: Annotated[
        int | None,
        typer.Option(
            help=_(
                "Port of the child worker's /livez, /readyz and /metrics "
                "(by default MISENA_WORKER_HEALTH_PORT; 0: none)."
            ),
            show_default=False,
        ),
    ] = None,
) -> None:
    from app.http.guard import prepare_api_process, uvicorn_options
    from app.http.main import create_app
    from app.runtime.worker_process import WorkerProcess

    settings = load_settings()
    health_port = settings.worker_health_port if worker_health_port is None else worker_health_port
    if worker and health_port == settings.port:
        raise usage_error(
            _("the worker cannot serve its health on the API's port ({port}): change "
              "MISENA_WORKER_HEALTH_PORT or use --worker-health-port (0: none)").format(port=health_port),
            "--worker-health-port",
        )  # fmt: skip
    check_google_credentials(settings)
    child = WorkerProcess(worker_child, (health_port, host)) if worker else None
    app = create_app(_services_for(settings), worker_process=child)
    prepare_api_process()
    uvicorn.run(app, **uvicorn_options(host=host, port=settings.port))


@cli.command("worker", help=_("Only the worker: reconciles people and sends credentials."))
def worker_command(
    threads: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help=_("Worker threads (by default MISENA_WORKER_THREADS)."), show_default=False
        ),
    ] = None,
    health_port: Annotated[
        int | None,
        typer.Option(
            help=_("Port of /livez, /readyz and /metrics (by default MISENA_WORKER_HEALTH_PORT; 0: none)."),
            show_default=False,
        ),
    ] = None,
    host: Annotated[str, typer.Option(help=_("Interface the health listens on."))] = "0.0.0.0",  # noqa: S104 - a server
) -> None:
    settings = server_settings()
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


@cli.command(help=_("Apply the database migrations (Alembic) up to the latest version."))
def migrate() -> None:
    from sqlalchemy.exc import ArgumentError, OperationalError

    from app.db.engine import make_engine
    from app.db.migrate import current_revision, upgrade

    try:
        engine = make_engine(database_url())
        upgrade(engine)
        revision = current_revision(engine)
    except ArgumentError:
        raise CliError(
            ExitCode.USAGE, _("configuration: MISENA_DATABASE_URL is not a database URL"), prefixed=False
        ) from None
    except OperationalError:
        raise CliError(
            ExitCode.UNAVAILABLE, _("cannot reach the database of MISENA_DATABASE_URL (is it running?)")
        ) from None
    err_console().print(_("database at version [bold]{revision}[/bold]").format(revision=revision))


@cli.command(help=_("Regenerate the service's OpenAPI document."))
def openapi(
    output: Annotated[Path, typer.Option(help=_("Output file."))] = Path("openapi/openapi.json"),
) -> None:
    from app.http.main import openapi_document

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    err_console().print(_("OpenAPI written to [bold]{path}[/bold]").format(path=output))


def main() -> None:
    cli()
