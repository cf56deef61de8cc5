"""Prometheus alerting-rule files: their shape, their PromQL, the metrics they read.

The shape is Prometheus' rule-file format (``groups`` of ``rules``) as pydantic models that
forbid unknown keys, plus what misena asks of every alert: a ``severity`` label, an English
``summary`` and ``description`` and a Spanish ``resumen`` for SENA's IT staff. Every ``expr``
is parsed by promql-parser (Prometheus' own grammar, in Rust) and every ``for`` as a
Prometheus duration. :func:`alert_metric_names` is what the cross-check against the metrics
the service exports calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import promql_parser
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tests.deploy.files import ALERTS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlertLabels(_Strict):
    severity: Literal["critical", "warning", "info"]


class AlertAnnotations(_Strict):
    summary: str = Field(min_length=1)
    description: str = Field(min_length=1)
    #: The same alert in Spanish, for SENA's IT staff.
    resumen: str = Field(min_length=1)


class AlertingRule(_Strict):
    alert: str = Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")
    expr: str = Field(min_length=1)
    for_: str = Field(alias="for")
    keep_firing_for: str | None = None
    labels: AlertLabels
    annotations: AlertAnnotations


class RuleGroup(_Strict):
    name: str = Field(min_length=1)
    interval: str | None = None
    limit: int | None = Field(default=None, ge=0)
    rules: list[AlertingRule] = Field(min_length=1)


class RuleFile(_Strict):
    groups: list[RuleGroup] = Field(min_length=1)


def _selector_names(expr: str) -> set[str]:
    names: set[str] = set()

    def visit(node: promql_parser.Expr) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            names.add(node.name or "")
        return True

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def rule_file_problems(text: str) -> list[str]:
    """Everything wrong with a rule file's text (empty: it is a valid misena alert file)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return [f"not YAML: {exc}"]
    try:
        rules = RuleFile.model_validate(raw)
    except ValidationError as exc:
        return [f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in exc.errors()]
    problems: list[str] = []
    seen: set[str] = set()
    for group in rules.groups:
        durations = [("for", rule.alert, rule.for_) for rule in group.rules]
        durations += [("keep_firing_for", rule.alert, rule.keep_firing_for) for rule in group.rules]
        durations.append(("interval", group.name, group.interval))
        for key, owner, value in durations:
            if value is None:
                continue
            try:
                promql_parser.parse_duration(value)
            except ValueError as exc:
                problems.append(f"{owner}: {key} {value!r}: {exc}")
        for rule in group.rules:
            if rule.alert in seen:
                problems.append(f"{rule.alert}: alert name used twice")
            seen.add(rule.alert)
            try:
                names = _selector_names(rule.expr)
            except ValueError as exc:
                problems.append(f"{rule.alert}: expr does not parse as PromQL: {exc}")
                continue
            if not names:
                problems.append(f"{rule.alert}: expr reads no metric")
            problems += [
                f"{rule.alert}: selector {name or '(no metric name)'!r} is not a misena metric"
                for name in sorted(names)
                if not name.startswith("misena_")
            ]
    groups = [group.name for group in rules.groups]
    problems += [f"group {name!r} named twice" for name in sorted(set(groups)) if groups.count(name) > 1]
    return problems


def alert_metric_names(path: Path = ALERTS) -> set[str]:
    """The metric names the alerts of ``path`` read (every vector selector of every ``expr``)."""
    rules = RuleFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    return {name for group in rules.groups for rule in group.rules for name in _selector_names(rule.expr)}
