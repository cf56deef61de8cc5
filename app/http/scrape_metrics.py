"""The gauges read from the database at scrape time: the queue, credentials, the brake, quotas.

They describe state every replica shares, so they are read when Prometheus scrapes rather than
kept in this process: any replica's ``/metrics`` (the API's or a worker's health port) tells the
truth about the whole service. Each family is one query (grouped, never one per kind or state),
so a scrape costs a handful of statements whatever the queue holds. Counters and histograms of
what *this process* did (jobs run, Google calls, HTTP requests) live beside the code that does it.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from app.clock import wall_seconds
from app.credentials.delivery_jobs import count_by_state
from app.jobs.queue import QueueHealth
from app.quota.shared import headroom_by_kind
from app.runtime.services import Services
from app.runtime.worker import WorkerPool


class QueueCollector(Collector):
    """The service's shared state as gauges; ``misena_database_up`` 0 when the database did not
    answer (the rest are then left out rather than reported as zeros)."""

    def __init__(self, services: Services, pool: WorkerPool | None) -> None:
        self._services = services
        self._pool = pool

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("misena_database_up", "1 when the database answered this scrape")
        try:
            families = list(self._shared()) if self._services.schema.is_current() else []
        except Exception:
            up.add_metric([], 0)
            yield up
            yield from self._loops()
            return
        up.add_metric([], 1)
        yield up
        yield from families
        yield from self._loops()

    def _shared(self) -> Iterator[GaugeMetricFamily]:
        services = self._services
        yield from _queue(services.queue.health())
        with services.sessions() as session:
            credentials = count_by_state(session)
        family = GaugeMetricFamily(
            "misena_credentials",
            "Credential deliveries by state (waiting_capacity: every sender at its daily limit)",
            labels=["state"],
        )
        for state, count in credentials.items():
            family.add_metric([state], count)
        yield family
        yield GaugeMetricFamily(
            "misena_suspensions_held",
            "Lifecycle suspensions held by the circuit breaker, waiting for IT staff",
            value=services.brake.held_count(),
        )
        yield GaugeMetricFamily(
            "misena_suspension_brake_engaged",
            "1 while the suspension brake holds new lifecycle suspensions (its window is full), else 0",
            value=1 if services.brake.engaged() else 0,
        )
        headroom = GaugeMetricFamily(
            "misena_quota_headroom",
            "Permits each shared Google budget could grant right now (0 to its burst; senders: the "
            "most any one sender could send)",
            labels=["bucket"],
        )
        settings = services.settings
        free_now = headroom_by_kind(
            services.sessions, settings.quota_budgets(), wall_seconds(), settings.mail_senders
        )
        for bucket, free in sorted(free_now.items()):
            headroom.add_metric([bucket], free)
        yield headroom

    def _loops(self) -> Iterator[GaugeMetricFamily]:
        if self._pool is None:
            return
        ages = GaugeMetricFamily(
            "misena_loop_heartbeat_age_seconds", "Seconds since each loop of this process made a turn",
            labels=["loop"],
        )  # fmt: skip
        for name, age in sorted(self._pool.heartbeats.ages().items()):
            ages.add_metric([name], age)
        yield ages


def _queue(health: QueueHealth) -> Iterator[GaugeMetricFamily]:
    jobs = GaugeMetricFamily("misena_jobs", "Jobs in the queue by kind and state", labels=["kind", "state"])
    for kind, states in sorted(health.by_kind.items()):
        for state, count in sorted(states.items()):
            jobs.add_metric([kind, state], count)
    yield jobs
    oldest = GaugeMetricFamily(
        "misena_oldest_due_job_seconds",
        "How long the longest-waiting due job of each kind has waited (0 when none is due)",
        labels=["kind"],
    )
    for kind, seconds in sorted(health.oldest_due_by_kind.items()):
        oldest.add_metric([kind], seconds)
    yield oldest


class _LatestApp(Collector):
    """The one collector registered with Prometheus, speaking for the latest app created.

    A process serves one app; tests create many, and registering each would collide on the
    metric names.
    """

    current: QueueCollector | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if self.current is not None:
            yield from self.current.collect()


_LATEST = _LatestApp()
REGISTRY.register(_LATEST)


def collect_for(services: Services, pool: WorkerPool | None) -> None:
    """Make the process's ``/metrics`` read this service's state (the latest app wins)."""
    _LATEST.current = QueueCollector(services, pool)
