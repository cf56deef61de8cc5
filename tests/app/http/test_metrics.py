"""``/metrics`` answers operators' questions: every metric agreed for issue 14 (listed in
``README.md``, *Metrics and logs*) is exported once the service has done the things they count
— webhooks, accounts created in Google (the emulator over real HTTP), credentials emailed, a
Gmail rate answer, suspensions held by the brake, a worker's loops — and each holds a value
that follows from what was done."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.http.health import create_health_app
from app.runtime.worker import WorkerPool
from app.staff.tokens import Scope
from tests.deploy.rule_files import alert_metric_names
from tests.support.events import enrolled, person, status_changed
from tests.support.harness import Harness, HarnessFactory
from tests.support.service_process import wait_until
from tests.support.staff_client import staff_client
from workspace.emulator.server import BackgroundServer

README = Path(__file__).resolve().parents[3] / "README.md"
PEOPLE = ("1030000101", "1030000102")

Samples = dict[str, list[tuple[dict[str, str], float]]]


#: The names agreed for issue 14 (the alerts of ``deploy/`` use them): kept, then changed or new.
AGREED = frozenset(
    {
        "misena_database_up", "misena_jobs_total", "misena_credential_deliveries_total",
        "misena_webhooks_total", "misena_quota_wait_seconds", "misena_quota_rate_per_second",
        "misena_quota_refusals_total", "misena_suspension_brake_holds_total",
        "misena_mail_sender_pauses_total", "misena_lifecycle_suspensions_total",
        "misena_loop_heartbeat_age_seconds", "misena_suspensions_held",
        "misena_jobs", "misena_oldest_due_job_seconds", "misena_google_requests_total",
        "misena_google_request_duration_seconds", "misena_quota_headroom", "misena_credentials",
        "misena_suspension_brake_engaged", "misena_http_requests_total",
        "misena_http_request_duration_seconds",
    }
)  # fmt: skip


def test_the_alerts_read_only_metrics_the_service_exports() -> None:
    """deploy/prometheus/alerts.yaml reads agreed metrics only, each shown exported below."""
    assert alert_metric_names() <= AGREED, sorted(alert_metric_names() - AGREED)


def documented_metrics() -> set[str]:
    """The names the README's *Metrics and logs* section lists (one line each)."""
    text = README.read_text("utf-8")
    section = text.split("## Metrics and logs", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^- `(misena_\w+)", section, flags=re.MULTILINE))


def scrape(url: str) -> Samples:
    samples: Samples = defaultdict(list)
    for family in text_string_to_metric_families(httpx.get(url + "metrics").text):
        for sample in family.samples:
            samples[sample.name].append((sample.labels, sample.value))
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples carrying ``labels`` (every one of them must exist)."""
    found = [v for got, v in samples[name] if labels.items() <= got.items()]
    assert found, f"no sample {name}{labels}; have {samples[name]}"
    return sum(found)


def exported(samples: Samples, name: str) -> bool:
    """A family is exported when any of its series is (a counter's ``_total``, a histogram's
    ``_count``)."""
    return any(f"{name}{suffix}" in samples for suffix in ("", "_total", "_count"))


@pytest.fixture
def braked(make_harness: HarnessFactory) -> Harness:
    """A brake that admits one suspension an hour; withdrawals suspend at once (no grace)."""
    return make_harness(brake={"limit": 1, "window_seconds": 3600}, policy={"withdrawal_grace_days": 0})


def test_every_agreed_metric_is_exported_with_values_that_follow_from_the_work(braked: Harness) -> None:
    harness = braked
    before = scrape(harness.base_url)
    assert value(before, "misena_suspension_brake_engaged") == 0
    # One short rate answer from Gmail: a sender pause and a refusal that lowers the shared budget.
    harness.emulator.set_faults(
        [{"method": "gmail.users.messages.send", "status": 429, "reason": "rateLimitExceeded",
          "message": "Rate Limit Exceeded", "times": 1, "retry_after": 1}]
    )  # fmt: skip
    start = harness.clock() - timedelta(days=1)
    people = [person(d, "CC", personal_email=f"p{d}@example.com") for d in PEOPLE]
    for who in people:
        assert harness.post(enrolled(start, who=who)).status_code == 202
    harness.drain()
    harness.clock.advance(seconds=120)  # the rested sender's turn, and the deferred delivery's
    harness.drain()
    assert [d.status for d in harness.deliveries(f"CC:{PEOPLE[0]}")] in (["sent"], ["superseded", "sent"])
    for who in people:
        assert (
            harness.post(status_changed(start + timedelta(hours=1), "CANCELADO", who=who)).status_code == 202
        )
    harness.drain()
    staff = staff_client(harness, Scope.ACCOUNTS_READ)
    person_id = harness.person(f"CC:{PEOPLE[0]}").id
    assert staff.get(f"/v1/people/{person_id}").status_code == 200
    assert httpx.get(harness.base_url + "no/such/1030000101").status_code == 404

    samples = scrape(harness.base_url)
    pool_samples = _worker_pool_scrape(harness)

    missing = {name for name in AGREED if not exported(samples, name) and not exported(pool_samples, name)}
    assert not missing, f"not exported: {sorted(missing)}"
    assert documented_metrics() >= AGREED, sorted(AGREED - documented_metrics())

    # Google, counted where every call passes: the two creations and the two credentials emails.
    assert (
        value(samples, "misena_google_requests_total", api="directory", method="users.insert", status="200")
        >= 2
    )
    assert (
        value(
            samples, "misena_google_requests_total", api="gmail", method="users.messages.send", status="200"
        )
        >= 2
    )
    assert (
        value(
            samples, "misena_google_requests_total", api="gmail", method="users.messages.send", status="429"
        )
        >= 1
    )
    assert (
        value(samples, "misena_google_request_duration_seconds_count", api="directory", method="users.insert")
        >= 2
    )
    assert value(samples, "misena_quota_refusals_total", bucket="gmail.sends") >= 1
    # The shared budgets: Directory queries may burst 20, creations 1, each sender 5.
    assert 0 <= value(samples, "misena_quota_headroom", bucket="directory.queries") <= 20
    assert value(samples, "misena_quota_headroom", bucket="directory.creates") in (0, 1)
    assert 0 <= value(samples, "misena_quota_headroom", bucket="gmail.sends") <= 5
    # The queue, by kind and state; nothing is due (the drain ran everything).
    assert value(samples, "misena_jobs", kind="reconcile", state="done") >= 4
    assert value(samples, "misena_jobs", state="dead") == 0
    assert value(samples, "misena_oldest_due_job_seconds", kind="reconcile") == 0
    assert value(samples, "misena_oldest_due_job_seconds", kind="deliver_credentials") == 0
    # Credentials, and the brake: one suspension admitted, the second held, the window full.
    assert value(samples, "misena_credentials", state="sent") == 2
    assert value(samples, "misena_credentials", state="waiting_capacity") == 0
    assert value(samples, "misena_credentials", state="pending") == 0
    assert value(samples, "misena_suspensions_held") == 1
    assert value(samples, "misena_suspension_brake_engaged") == 1
    # HTTP, by route template: never the raw path (the id, or a document in an unknown path).
    webhooks = value(
        samples, "misena_http_requests_total", route="/webhooks/sofia-plus", method="POST", status="202"
    )
    assert webhooks >= 4
    assert value(samples, "misena_http_requests_total", route="/v1/people/{person_id}", status="200") >= 1
    assert value(samples, "misena_http_requests_total", route="unmatched", method="GET", status="404") >= 1
    assert value(samples, "misena_http_request_duration_seconds_count", route="/webhooks/sofia-plus") >= 4
    routes = {labels["route"] for labels, _ in samples["misena_http_requests_total"]}
    assert not [r for r in routes if re.search(r"\d{3,}", r)], routes
    assert value(samples, "misena_database_up") == 1
    assert value(pool_samples, "misena_loop_heartbeat_age_seconds", loop="worker-0") >= 0

    harness.clock.advance(seconds=3601)  # the window moves past the admitted suspension
    assert value(scrape(harness.base_url), "misena_suspension_brake_engaged") == 0


def _worker_pool_scrape(harness: Harness) -> Samples:
    """A worker process's health port: its loops' heartbeats beside the shared gauges."""
    pool = WorkerPool(harness.services)
    server = BackgroundServer(create_health_app(pool), name="worker-health")
    server.start()
    pool.start()
    try:
        assert wait_until(lambda: "worker-0" in pool.heartbeats.ages(), 10)
        return scrape(server.base_url)
    finally:
        pool.stop()
        server.stop()
