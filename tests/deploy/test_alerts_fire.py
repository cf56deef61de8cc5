"""deploy/prometheus/alerts.yaml as Prometheus itself reads it: ``promtool check rules`` (rule
file, PromQL, annotation templates) and ``promtool test rules`` on tests/deploy/alerts_test.yaml
(each alert quiet on a healthy service and until its ``for`` has passed, then firing).

promtool is Debian's (``make promtool`` puts it under var/tools; ``PROMTOOL`` names another).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.files import ALERTS, REPO, load_yaml

PROMTOOL = Path(os.environ.get("PROMTOOL", REPO / "var" / "tools" / "promtool"))
SCENARIOS = Path(__file__).with_name("alerts_test.yaml")


@pytest.fixture(scope="module")
def promtool() -> Path:
    if not os.access(PROMTOOL, os.X_OK):
        pytest.fail(
            f"{PROMTOOL} is missing: run `make promtool` (Debian's package prometheus)", pytrace=False
        )
    return PROMTOOL


def _run(promtool: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(promtool), *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def check_rules(promtool: Path, rules_text: str, directory: Path) -> subprocess.CompletedProcess[str]:
    (directory / "alerts.yaml").write_text(rules_text, encoding="utf-8")
    return _run(promtool, "check", "rules", "alerts.yaml", cwd=directory)


def run_scenarios(promtool: Path, rules_text: str, directory: Path) -> subprocess.CompletedProcess[str]:
    """The scenarios against ``rules_text`` without its annotations: promtool compares an alert's
    annotations in full, and the scenarios are about when alerts fire, not their wording."""
    rules = yaml.safe_load(rules_text)
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    (directory / "alerts.yaml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    shutil.copy(SCENARIOS, directory / SCENARIOS.name)
    return _run(promtool, "test", "rules", SCENARIOS.name, cwd=directory)


def test_prometheus_accepts_the_rule_file(promtool: Path, tmp_path: Path) -> None:
    result = check_rules(promtool, ALERTS.read_text(encoding="utf-8"), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_each_alert_fires_when_it_should_and_only_then(promtool: Path, tmp_path: Path) -> None:
    result = run_scenarios(promtool, ALERTS.read_text(encoding="utf-8"), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_firing_scenario_and_a_quiet_one() -> None:
    alerts = {rule["alert"] for group in load_yaml(ALERTS)["groups"] for rule in group["rules"]}
    checks = [check for test in load_yaml(SCENARIOS)["tests"] for check in test["alert_rule_test"]]
    assert {c["alertname"] for c in checks if c["exp_alerts"]} == alerts
    assert {c["alertname"] for c in checks if not c["exp_alerts"]} == alerts
    healthy = next(
        test for test in load_yaml(SCENARIOS)["tests"] if test["name"] == "a healthy service fires nothing"
    )
    assert {c["alertname"] for c in healthy["alert_rule_test"]} == alerts


SCENARIO_MUTATIONS = {
    "a threshold raised": (
        "max(misena_oldest_due_job_seconds) > 900",
        "max(misena_oldest_due_job_seconds) > 9000",
    ),
    "a threshold that fires on a healthy service": (
        'sum(misena_jobs{state="dead"}) > 0',
        "sum(misena_jobs) > 0",
    ),
    "a longer for": ("for: 2h", "for: 3h"),
    "a shorter for": ("for: 1m", "for: 0s"),
    "the wrong severity": ("severity: critical", "severity: warning"),
}


@pytest.mark.parametrize(("old", "new"), SCENARIO_MUTATIONS.values(), ids=SCENARIO_MUTATIONS.keys())
def test_an_alert_that_fires_at_the_wrong_moment_fails_its_scenario(
    old: str, new: str, promtool: Path, tmp_path: Path
) -> None:
    text = ALERTS.read_text(encoding="utf-8")
    assert old in text
    assert run_scenarios(promtool, text.replace(old, new, 1), tmp_path).returncode != 0


CHECK_MUTATIONS = {
    "a template function Prometheus lacks": (
        "{{ $value | humanizeDuration }}",
        "{{ $value | humanizeTime2 }}",
    ),
    "an unclosed template": ("{{ $value }} misena jobs", "{{ $value misena jobs"),
    "a PromQL function Prometheus lacks": ("sum(rate(misena_quota", "sum(rat(misena_quota"),
}


@pytest.mark.parametrize(("old", "new"), CHECK_MUTATIONS.values(), ids=CHECK_MUTATIONS.keys())
def test_a_rule_file_prometheus_would_refuse_is_refused(
    old: str, new: str, promtool: Path, tmp_path: Path
) -> None:
    text = ALERTS.read_text(encoding="utf-8")
    assert old in text
    assert check_rules(promtool, text.replace(old, new, 1), tmp_path).returncode != 0
