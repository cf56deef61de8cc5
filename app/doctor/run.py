"""Every check of ``misena doctor``, in the order the report lists them, each logged once."""

from __future__ import annotations

from sqlalchemy import Engine

from app.clock import Clock, system_clock
from app.db.engine import make_engine
from app.doctor.google_checks import GoogleChecks, credentials_problem
from app.doctor.local_checks import check_database, check_seats, check_webhook_secrets
from app.doctor.report import Area, Report, Status, Verdict, skipped
from app.settings import Settings
from workspace.google_session import GoogleConnection
from workspace.preflight import Preflight


def preflight_for(settings: Settings) -> Preflight:
    connection = GoogleConnection(
        key_file=settings.google_key_file, api_endpoint=settings.google_api_endpoint
    )
    return Preflight(connection, admin=settings.google_admin, customer=settings.google_customer)


def run_doctor(
    settings: Settings,
    *,
    preflight: Preflight | None = None,
    engine: Engine | None = None,
    clock: Clock = system_clock,
) -> Report:
    """Local checks first (they need no network), then Google's; the seats last, from our records."""
    preflight = preflight or preflight_for(settings)
    own_engine = engine is None
    engine = engine or make_engine(settings.database_url)
    try:
        verdicts = [check_webhook_secrets(settings.webhook_secrets), check_database(engine)]
        database_ok = verdicts[-1].status is Status.OK
        unusable = credentials_problem(preflight, settings.google_admin)
        if unusable is not None:
            verdicts.append(unusable)
        else:
            verdicts += GoogleChecks(settings, preflight, clock).run()
        verdicts.append(
            check_seats(engine, clock) if database_ok else skipped("seats", Area.GOOGLE, "database")
        )
    finally:
        if own_engine:
            engine.dispose()
    return Report(tuple(v.logged() for v in verdicts))


__all__ = ["Report", "Verdict", "run_doctor"]
