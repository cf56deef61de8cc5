"""The composition root's wiring: settings → database, Google adapters, queue, worker parts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.accounts.brake import SuspensionBrake
from app.accounts.reconcile import Reconciler
from app.clock import Clock, system_clock
from app.credentials.delivery import Courier
from app.db.engine import make_engine, session_factory
from app.jobs.queue import JobQueue, QueueSettings
from app.people.intake import WebhookVerifier
from app.quota.shared import SharedQuota
from app.runtime.schema_gate import SchemaGate
from app.settings import Settings
from app.staff.actions import StaffActions
from app.sync.runs import SyncRuns
from workspace.directory import GoogleDirectory
from workspace.gmail import GmailSender
from workspace.google_session import GoogleConnection, ServiceFactory
from workspace.pacing import QuotaGate
from workspace.ports import Directory, MailSender


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    verifier: WebhookVerifier
    directory: Directory
    mail: MailSender
    queue: JobQueue
    courier: Courier
    reconciler: Reconciler
    brake: SuspensionBrake
    staff: StaffActions
    sync: SyncRuns
    schema: SchemaGate
    clock: Clock
    quota: QuotaGate


def google_adapters(settings: Settings, quota: QuotaGate) -> tuple[Directory, MailSender]:
    """The Admin SDK and Gmail adapters, both taking their permits from ``quota``."""
    connection = GoogleConnection(
        key_file=settings.google_key_file, api_endpoint=settings.google_api_endpoint
    )
    factory = ServiceFactory(connection)
    directory = GoogleDirectory(
        factory, settings.google_admin, customer=settings.google_customer, quota=quota
    )
    return directory, GmailSender(factory, quota=quota)


def build_services(
    settings: Settings,
    *,
    directory: Directory | None = None,
    mail: MailSender | None = None,
    engine: Engine | None = None,
    clock: Clock = system_clock,
) -> Services:
    """``clock`` is the service's one notion of now (grace periods, backoff, leases, token use,
    the sender pool's day), created here once and handed to every service; tests pass a
    :class:`~app.clock.FrozenClock` and move it to see time-based transitions without waiting."""
    engine = engine or make_engine(settings.database_url)
    sessions = session_factory(engine)
    quota = SharedQuota(sessions, settings.quota_budgets())
    if directory is None or mail is None:
        default_directory, default_mail = google_adapters(settings, quota)
        directory = directory or default_directory
        mail = mail or default_mail
    courier = Courier(settings, sessions, directory, mail, clock=clock)
    queue = JobQueue(
        sessions,
        QueueSettings(lease_seconds=settings.job_lease_seconds, max_attempts=settings.job_max_attempts),
        clock=clock,
    )
    brake = SuspensionBrake(sessions, settings.brake, clock)
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        verifier=WebhookVerifier(settings.webhook_secrets),
        directory=directory,
        mail=mail,
        queue=queue,
        courier=courier,
        reconciler=Reconciler(settings, sessions, directory, courier, brake, clock),
        brake=brake,
        staff=StaffActions(sessions, clock),
        sync=SyncRuns(settings, sessions, directory, clock),
        schema=SchemaGate(engine),
        clock=clock,
        quota=quota,
    )
