"""Service settings, from ``MISENA_*`` environment variables (pydantic-settings).

Outside demo mode the service refuses to start with a missing or well-known webhook secret
or without Google credentials: a misconfigured production deployment must fail loudly at
start-up, not accept forged enrollments or fail every job later.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from sofia_sync.policy import PolicySettings
from workspace.google_quotas import (
    DEFAULT_CREATES_PER_SECOND,
    DEFAULT_QUERIES_PER_MINUTE,
    DEFAULT_SENDS_PER_MINUTE,
    BudgetBook,
)

#: What ``MISENA_LOG_LEVEL`` may be (the standard library's level names).
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
#: Secrets that appear in docs and examples; never acceptable outside demo mode.
WELL_KNOWN_SECRETS = frozenset({"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "changeme", "secret"})


class OnStart(StrEnum):
    """What ``serve`` and ``worker`` do when the schema is behind (``MISENA_SCHEMA_ON_START``)."""

    WAIT = "wait"  # answer 503 / idle until someone runs ``misena migrate``
    MIGRATE = "migrate"  # run the migrations at start-up (once across replicas)


class BrakeSettings(BaseModel):
    """The suspension circuit breaker (``MISENA_BRAKE__LIMIT``, ``MISENA_BRAKE__WINDOW_SECONDS``)."""

    model_config = ConfigDict(frozen=True)

    #: Lifecycle suspensions allowed in any sliding window before the rest are held.
    limit: int = Field(default=200, ge=0)
    window_seconds: float = Field(default=3600.0, gt=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MISENA_", env_nested_delimiter="__", extra="ignore", frozen=True
    )

    demo_mode: bool = False
    #: The lowest level logged (``MISENA_LOG_LEVEL``; any case): every line is JSON whatever it is.
    log_level: LogLevel = "INFO"
    database_url: str = "sqlite:///var/misena.db"
    port: int = 8000
    emulator_port: int = 8787

    #: Standard Webhooks secrets (``whsec_...``), comma-separated; several allow rotation.
    webhook_secrets: Annotated[tuple[SecretStr, ...], NoDecode] = ()

    google_key_file: Path | None = None
    #: Only set to talk to the local emulator; production uses Google's endpoints.
    google_api_endpoint: str | None = None
    google_admin: str = "admin@misena.edu.co"
    google_customer: str = "my_customer"
    #: Gmail sender mailboxes that send credentials, comma-separated; rotated by daily budget.
    mail_senders: Annotated[tuple[str, ...], NoDecode] = ("notificaciones@misena.edu.co",)
    #: Sends per sender in any rolling 24 hours (Gmail's window; its limit is 2,000).
    mail_sender_daily_budget: int = Field(default=1900, ge=1, le=2000)
    #: The rolling window that budget counts over: Gmail's 24 hours. Only shortened so a
    #: benchmark's (or a test's) "day" passes in seconds, against an emulator shortened alike.
    mail_sender_window_seconds: float = Field(default=86_400.0, gt=0, le=86_400.0)
    #: A sender that keeps answering Gmail rate limits rests 1, 2, 4 ... s, at most this long
    #: (longer only when Gmail's Retry-After asks): a burst costs at most this much after it ends.
    mail_sender_max_rest_seconds: float = Field(default=30.0, gt=0, le=3600)
    mail_sender_name: str = "Mi SENA"
    sign_in_url: str = "https://mail.google.com/a/misena.edu.co"

    #: The tenant's whole budget of Google's limits — 10 user creations a second per domain,
    #: 2,400 Directory queries a minute per project, 150 sends a minute per Gmail sender — kept a
    #: little under each. Every process takes from the same budget through the database, so
    #: replicas never divide these; lower them if Google granted the tenant less (a rate answer
    #: from Google also lowers them for a while by itself).
    google_creates_per_second: float = Field(default=DEFAULT_CREATES_PER_SECOND, gt=0)
    google_queries_per_minute: float = Field(default=DEFAULT_QUERIES_PER_MINUTE, gt=0)
    gmail_sends_per_minute: float = Field(default=DEFAULT_SENDS_PER_MINUTE, gt=0)

    policy: PolicySettings = Field(default_factory=PolicySettings)
    brake: BrakeSettings = Field(default_factory=BrakeSettings)
    #: A bulk sync plan suspending more than this share of the scope's managed accounts is
    #: refused unless confirmed with the exact count.
    sync_max_suspension_share: float = Field(default=0.05, ge=0, le=1)
    #: Page chains read at once for a bulk plan's Directory snapshot (1: strictly sequential,
    #: exactly ceil(users / 500) calls; more overlap Google's per-page latency).
    sync_snapshot_workers: int = Field(default=8, ge=1, le=16)
    #: Where Sofia Plus publishes the roster export, for ``misena sync pull`` and
    #: ``POST /v1/sync-runs/pull`` (optional: without it rosters are uploaded as files). Both the
    #: URL and its bearer token, or neither.
    sofia_roster_url: HttpUrl | None = None
    sofia_roster_token: SecretStr | None = None
    #: Bounds each network wait of the download (connect, each read), not the whole download.
    sofia_roster_timeout_seconds: float = Field(default=120.0, gt=0, le=3600)
    #: How often each worker process looks for grace periods that have ended.
    sweep_interval_seconds: float = Field(default=60.0, gt=0)
    #: Retention (Ley 1581 de 2012: personal data kept only as long as its purpose needs): the
    #: sweep purges webhook payloads received longer ago than this (the row stays, payload-less,
    #: as the ``webhook-id`` dedupe record) ...
    webhook_payload_retention_days: int = Field(default=30, ge=1, le=3650)
    #: ... and ``done`` and ``cancelled`` jobs finished longer ago than this (``dead`` ones stay
    #: until IT staff retry or close them).
    finished_job_retention_days: int = Field(default=90, ge=1, le=3650)
    #: How often the tenant is read for first sign-ins (one paged ``users.list``, shared by every
    #: worker process: the first to claim the turn runs it).
    signin_check_interval_seconds: float = Field(default=3600.0, gt=0, le=7 * 86_400)
    #: Follow-up of people who never signed in (:mod:`app.accounts.follow_up`): the days after
    #: the credentials email before the first reminder, how many reminders at most (each with a
    #: fresh temporary password), and the days between reminders — and, after the last one,
    #: before the person is flagged for the help desk.
    reminder_after_days: int = Field(default=7, ge=1, le=90)
    reminder_max: int = Field(default=2, ge=0, le=10)
    reminder_interval_days: int = Field(default=7, ge=1, le=90)

    #: Jobs a worker process runs at once. They spend nearly all their time waiting on Google
    #: (100-200 ms a call) or for a quota permit, so the shared quota, not this, bounds the rate;
    #: 16 keeps 10 creations a second going at up to ~1.5 s per account.
    worker_threads: int = Field(default=16, ge=1, le=64)
    worker_poll_seconds: float = Field(default=0.5, gt=0)
    #: A running job's lease; the worker renews it every third of this while the job runs,
    #: so it only bounds how long a killed process's jobs wait before another worker takes them.
    job_lease_seconds: float = Field(default=60.0, gt=0)
    #: ``/livez`` fails (so the orchestrator restarts the process) when one of this process's
    #: loops has made no turn for this long: a wedged worker, not a failing one (those back off
    #: and keep ticking). Above the slowest legitimate job (Google's backoff is ~2 minutes).
    worker_stall_seconds: float = Field(default=600.0, gt=0)
    #: What ``serve`` and ``worker`` do when the database schema is behind: ``wait`` (answer
    #: 503 and idle until ``misena migrate`` runs) or ``migrate`` (migrate at start-up, once
    #: across replicas).
    schema_on_start: OnStart = OnStart.WAIT
    #: ``misena worker`` serves ``/livez``, ``/readyz`` and ``/metrics`` on this port (0: none).
    worker_health_port: int = Field(default=8001, ge=0, le=65535)
    job_max_attempts: int = Field(default=10, ge=1)

    @field_validator("log_level", mode="before")
    @classmethod
    def _known_level(cls, value: object) -> object:
        """Any case; anything else stops the start-up, naming the variable and what it may be."""
        level = value.strip().upper() if isinstance(value, str) else value
        if level not in get_args(LogLevel):
            raise ValueError(f"MISENA_LOG_LEVEL must be one of {', '.join(get_args(LogLevel))}")
        return level

    @field_validator("webhook_secrets", mode="before")
    @classmethod
    def _split_secrets(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("mail_senders", mode="before")
    @classmethod
    def _split_senders(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().lower() for part in value.split(",") if part.strip())
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if (self.sofia_roster_url is None) != (self.sofia_roster_token is None):
            raise ValueError(
                "MISENA_SOFIA_ROSTER_URL and MISENA_SOFIA_ROSTER_TOKEN go together: set both or neither"
            )
        if self.demo_mode:
            return self
        if self.sofia_roster_url is not None and self.sofia_roster_url.scheme != "https":
            raise ValueError(
                "MISENA_SOFIA_ROSTER_URL must be https: its bearer token must not travel in clear"
            )
        secrets = [s.get_secret_value() for s in self.webhook_secrets]
        if not secrets:
            raise ValueError("MISENA_WEBHOOK_SECRETS is required outside demo mode")
        if any(s in WELL_KNOWN_SECRETS or len(s) < 24 for s in secrets):
            raise ValueError("MISENA_WEBHOOK_SECRETS holds a default or too-short secret")
        if not self.mail_senders:
            raise ValueError("MISENA_MAIL_SENDERS needs at least one sender mailbox")
        return self

    def quota_budgets(self) -> BudgetBook:
        """The budgets every process shares (``app.quota``)."""
        return BudgetBook.of(
            queries_per_minute=self.google_queries_per_minute,
            creates_per_second=self.google_creates_per_second,
            sends_per_minute=self.gmail_sends_per_minute,
        )
