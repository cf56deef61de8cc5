"""Where the deployment files live, and reading them as YAML documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
K8S_BASE = DEPLOY / "k8s" / "base"
K8S_OVERLAYS = DEPLOY / "k8s" / "overlays"
ALERTS = DEPLOY / "prometheus" / "alerts.yaml"
DOCKERFILE = REPO / "Dockerfile"


def load_yaml(path: Path) -> Any:
    """One YAML document (merge keys resolved, as Compose and kubectl read them)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_all_yaml(path: Path) -> list[Any]:
    """Every non-empty document of a (possibly multi-document) YAML file."""
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]
