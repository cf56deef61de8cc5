"""deploy/prometheus/alerts.yaml: a valid Prometheus rule file whose every expression parses,
reads only misena metrics, and whose texts name real commands and settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.deploy.files import ALERTS
from tests.deploy.rule_files import alert_metric_names, rule_file_problems
from tests.deploy.service_facts import command_problem, unknown_settings

#: What an operator is paged for (issue 14), each by the metric agreed for it.
EXPECTED_METRICS = {
    "misena_jobs",  # dead jobs
    "misena_oldest_due_job_seconds",  # oldest pending job
    "misena_credentials",  # credentials waiting for sender capacity
    "misena_suspension_brake_engaged",  # brake engaged
    "misena_quota_refusals_total",  # Google's quota refusals
    "misena_database_up",  # database down
    "misena_loop_heartbeat_age_seconds",  # a loop stalled
}


def _annotations() -> list[str]:
    rules = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [
        text for group in rules["groups"] for rule in group["rules"] for text in rule["annotations"].values()
    ]


def test_the_alert_file_is_a_valid_rule_file_with_parsing_expressions() -> None:
    assert rule_file_problems(ALERTS.read_text(encoding="utf-8")) == []


def test_the_alerts_read_exactly_the_agreed_metrics() -> None:
    assert alert_metric_names() == EXPECTED_METRICS


def test_commands_and_settings_the_alerts_name_are_real() -> None:
    texts = " ".join(_annotations())
    commands = re.findall(r"`(misena [^`]+)`", texts)
    settings = re.findall(r"\bMISENA_[A-Z0-9_]+", texts)
    assert commands
    assert settings
    assert [problem for line in commands if (problem := command_problem(line.split()))] == []
    assert unknown_settings(settings) == []


def test_alert_metric_names_reads_every_selector_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    text = ALERTS.read_text(encoding="utf-8")
    text = text.replace(
        "min(misena_database_up) == 0", "min(misena_database_up) == 0 or absent(misena_other_up)"
    )
    path.write_text(text, encoding="utf-8")
    assert alert_metric_names(path) == EXPECTED_METRICS | {"misena_other_up"}


MUTATIONS = {
    "an expression that does not parse": (
        'sum(misena_jobs{state="dead"}) > 0',
        'sum(misena_jobs{state="dead"} > 0',
    ),
    "a metric that is not misena's": ("max(misena_oldest_due_job_seconds)", "max(up)"),
    "a duration Prometheus cannot read": ("for: 10m", "for: 10 minutes"),
    "a severity outside the set": ("severity: critical", "severity: page"),
    "the Spanish summary missing": ("resumen: >-", "resumen_es: >-"),
    "an unknown rule key": ("expr: max(misena_loop", "expression: max(misena_loop"),
    "two alerts of one name": ("alert: MisenaLoopStalled", "alert: MisenaDatabaseDown"),
    "rules that are not a list": (
        "    rules:\n      - alert: MisenaDeadJobs",
        "    rules: MisenaDeadJobs\n    x:\n      - alert: MisenaDeadJobs",
    ),
    "not YAML": ("groups:", "groups: ["),
}


@pytest.mark.parametrize(("old", "new"), MUTATIONS.values(), ids=MUTATIONS.keys())
def test_a_broken_alert_file_is_refused(old: str, new: str) -> None:
    text = ALERTS.read_text(encoding="utf-8")
    assert old in text
    assert rule_file_problems(text.replace(old, new, 1)) != []
