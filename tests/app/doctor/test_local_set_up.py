"""The doctor's checks of this side: webhook secrets (never shown), the migrations on each store,
and the seats as our own records tell them — a real 412 from the emulator's seat limit, recorded
as the worker records it, is a failure for a day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.clock import system_clock
from app.db.engine import make_engine
from app.db.migrate import alembic_config, head_revision
from app.db.states import JobKind
from app.demo.environment import new_webhook_secret
from app.doctor.local_checks import check_database, check_seats, check_webhook_secrets
from app.doctor.report import Status
from app.jobs.outbox import enqueue
from app.jobs.queue import JobQueue
from tests.support.doctor_tenant import WEAK_SECRET
from tests.support.google import ADMIN, new_user
from tests.support.stores import add_people
from workspace.directory import GoogleDirectory
from workspace.emulator.control_client import EmulatorControl
from workspace.errors import SeatLimitReachedError
from workspace.google_session import GoogleConnection, ServiceFactory


@pytest.mark.parametrize(
    ("secret", "flaw"),
    [
        (WEAK_SECRET, "tiene 18 bytes de clave, menos de 24"),
        ("changeme", "es un secreto de ejemplo conocido"),
        ("un-secreto-largo-sin-el-prefijo", "no empieza por whsec_"),
        ("whsec_esto no es base64 !!!!!!!!", "no es base64 después de whsec_"),
    ],
)
def test_a_weak_webhook_secret_is_named_by_position_never_shown(secret: str, flaw: str) -> None:
    verdict = check_webhook_secrets((SecretStr(new_webhook_secret()), SecretStr(secret)))
    assert verdict.status is Status.FAIL
    assert verdict.message.es == f"El secreto 2 de 2 en MISENA_WEBHOOK_SECRETS {flaw}."
    assert secret not in verdict.message.es + verdict.message.en
    assert verdict.hint is not None
    assert "secrets.token_bytes(32)" in verdict.hint.es


def test_no_webhook_secret_fails_and_strong_ones_pass() -> None:
    assert check_webhook_secrets(()).status is Status.FAIL
    strong = check_webhook_secrets((SecretStr(new_webhook_secret()), SecretStr(new_webhook_secret())))
    assert (strong.status, strong.message.es) == (Status.OK, "2 secreto(s) robusto(s) configurado(s).")


def test_a_database_never_migrated_or_behind_fails(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        never = check_database(engine)
        assert (never.status, never.message.es) == (Status.FAIL, "La base de datos nunca se migró.")
        assert never.hint is not None
        assert never.hint.es == "Ejecute `misena migrate` contra MISENA_DATABASE_URL."
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0009_sync_item_review")
        behind = check_database(engine)
        assert behind.status is Status.FAIL
        assert behind.message.es == (
            "La base de datos está en la versión 0009_sync_item_review; "
            f"este código necesita {head_revision()}."
        )
    finally:
        engine.dispose()


def test_a_database_that_cannot_be_reached_fails() -> None:
    engine = make_engine("postgresql+psycopg://nadie@127.0.0.1:1/misena")
    verdict = check_database(engine)
    engine.dispose()
    assert (verdict.status, verdict.message.es) == (
        Status.FAIL,
        "No se puede usar la base de datos de MISENA_DATABASE_URL.",
    )


def test_a_seat_refusal_google_answered_fails_the_seats_for_a_day(
    emulator: EmulatorControl,
    connection: GoogleConnection,
    engine: Engine,
    sessions: sessionmaker[Session],
) -> None:
    assert check_seats(engine, system_clock).status is Status.WARN, "nothing seen: unknown"
    emulator.configure(user_seat_limit=1)  # the tenant's admin holds the only seat
    with pytest.raises(SeatLimitReachedError) as refused:
        GoogleDirectory(ServiceFactory(connection), ADMIN).create_user(new_user(org_unit_path="/"))
    (person_id,) = add_people(sessions, 1)
    queue = JobQueue(sessions, clock=system_clock)
    with sessions.begin() as session:
        enqueue(session, JobKind.RECONCILE, person_id, now=system_clock())
    (job,) = queue.claim("worker-1")
    queue.fail(job.id, "worker-1", str(refused.value), retryable=False)  # as the worker records it

    seats = check_seats(engine, system_clock)
    assert seats.status is Status.FAIL
    assert seats.message.es.startswith(
        "Google rechazó una cuenta nueva por falta de licencias (412 Domain user limit reached.) el "
    )
    assert seats.hint is not None
    assert "misena jobs retry --dead" in seats.hint.es
    a_day_later = check_seats(engine, lambda: system_clock() + timedelta(hours=25))
    assert a_day_later.status is Status.WARN, "a refusal older than a day no longer says no seats"
