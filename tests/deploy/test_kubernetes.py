"""deploy/k8s/base: every manifest listed, valid for Kubernetes, and true to the service."""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from app.settings import Settings
from tests.deploy.files import K8S_BASE
from tests.deploy.manifests import (
    Resource,
    container_env,
    kustomization_problems,
    namespace_problems,
    resources,
    schema_problems,
    secret_problems,
    wiring_problems,
    workloads,
)
from tests.support.harness import SECRET


def _base() -> list[Resource]:
    return resources(K8S_BASE)


def test_the_kustomization_lists_every_manifest_and_nothing_else() -> None:
    assert kustomization_problems(K8S_BASE) == []
    assert {r.kind for r in _base()} == {
        "ConfigMap", "Secret", "Job", "Deployment", "Service", "PodDisruptionBudget",
    }  # fmt: skip


def test_every_resource_is_valid_for_kubernetes_and_namespace_agnostic() -> None:
    assert [problem for r in _base() for problem in schema_problems(r) + namespace_problems(r)] == []


def test_the_example_secrets_hold_placeholders_only() -> None:
    assert [problem for r in _base() for problem in secret_problems(r)] == []


def test_pods_run_real_commands_settings_probes_and_ports(served_paths: dict[str, set[str]]) -> None:
    assert wiring_problems(_base(), served_paths) == []


def test_the_api_stays_up_through_rollouts_and_drains() -> None:
    by_name = {(r.kind, r.name): r.doc for r in _base()}
    api = by_name["Deployment", "misena-api"]["spec"]
    assert api["replicas"] == 2
    assert api["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert by_name["PodDisruptionBudget", "misena-api"]["spec"]["minAvailable"] == 1


def test_the_probes_answer_on_the_running_service(served_urls: dict[str, str]) -> None:
    """Each probe path of each pod, asked of the app its command serves: 200 on a healthy,
    migrated service (and /metrics, which the scrape annotations point at)."""
    asked = 0
    for workload in workloads(_base()):
        for container in workload.doc["spec"]["template"]["spec"]["containers"]:
            role = {"serve": "api", "worker": "worker"}.get(container["command"][1])
            if role is None:
                continue
            paths = [
                container[p]["httpGet"]["path"] for p in ("startupProbe", "livenessProbe", "readinessProbe")
            ]
            paths.append(workload.doc["spec"]["template"]["metadata"]["annotations"]["prometheus.io/path"])
            for path in paths:
                response = httpx.get(served_urls[role] + path.lstrip("/"), timeout=10)
                assert response.status_code == 200, (workload.name, path, response.text)
                asked += 1
    assert asked == 8


def _environment(monkeypatch: pytest.MonkeyPatch, **replace: str) -> None:
    """The API container's environment, as the ConfigMap and the Secret give it, and no other."""
    for name in [name for name in os.environ if name.upper().startswith("MISENA_")]:
        monkeypatch.delenv(name)
    api = next(w for w in workloads(_base()) if w.name == "misena-api")
    env = container_env(api.doc["spec"]["template"]["spec"]["containers"][0], _base())
    for name, value in (env | replace).items():
        monkeypatch.setenv(name, value)


def test_the_example_settings_load_but_its_placeholder_secret_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _environment(monkeypatch)
    with pytest.raises(ValidationError, match="MISENA_WEBHOOK_SECRETS holds a default or too-short secret"):
        Settings()
    _environment(monkeypatch, MISENA_WEBHOOK_SECRETS=SECRET)
    settings = Settings()
    assert (settings.port, settings.worker_health_port) == (8000, 8001)
    assert str(settings.google_key_file) == "/var/run/secrets/misena/google/service-account.json"


Mutation = Callable[[dict[str, dict[str, Any]]], None]


def _api(docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    container: dict[str, Any] = docs["deployment-api.yaml"]["spec"]["template"]["spec"]["containers"][0]
    return container


def _worker(docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    container: dict[str, Any] = docs["deployment-worker.yaml"]["spec"]["template"]["spec"]["containers"][0]
    return container


def _pod(docs: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    spec: dict[str, Any] = docs[name]["spec"]["template"]["spec"]
    return spec


def _mutated(mutate: Mutation) -> list[Resource]:
    base = _base()
    docs = {r.path.name: copy.deepcopy(r.doc) for r in base}
    mutate(docs)
    return [Resource(r.path, docs[r.path.name]) for r in base]


SCHEMA_MUTATIONS: dict[str, Mutation] = {
    "a misspelt probe field": lambda d: _api(d)["livenessProbe"]["httpGet"].update(paht="/livez"),
    "replicas as text": lambda d: d["deployment-api.yaml"]["spec"].update(replicas="two"),
    "an API version that does not exist": lambda d: d["poddisruptionbudget-api.yaml"].update(
        apiVersion="policy/v2"
    ),
}


@pytest.mark.parametrize("mutate", SCHEMA_MUTATIONS.values(), ids=SCHEMA_MUTATIONS.keys())
def test_a_resource_kubernetes_would_refuse_is_refused(mutate: Mutation) -> None:
    assert [problem for r in _mutated(mutate) for problem in schema_problems(r)] != []


def _secret(d: dict[str, dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = d["secret-env.yaml"]["stringData"]
    return data


SECRET_MUTATIONS: dict[str, Mutation] = {
    "a real-looking webhook secret": lambda d: _secret(d).update(MISENA_WEBHOOK_SECRETS=SECRET),
    "base64 data": lambda d: d["secret-env.yaml"].update(data={"MISENA_WEBHOOK_SECRETS": "d2hzZWNfeHh4"}),
}


@pytest.mark.parametrize("mutate", SECRET_MUTATIONS.values(), ids=SECRET_MUTATIONS.keys())
def test_a_secret_with_a_value_is_refused(mutate: Mutation) -> None:
    assert [problem for r in _mutated(mutate) for problem in secret_problems(r)] != []


WIRING_MUTATIONS: dict[str, Mutation] = {
    "a probe path nobody serves": lambda d: _api(d)["livenessProbe"]["httpGet"].update(path="/healthz"),
    "readiness on the liveness path": lambda d: _worker(d)["readinessProbe"]["httpGet"].update(path="/livez"),
    "a probe on a port nothing listens on": lambda d: _worker(d)["livenessProbe"]["httpGet"].update(
        port=8002
    ),
    "the worker's port moved, not its pod": lambda d: d["configmap.yaml"]["data"].update(
        MISENA_WORKER_HEALTH_PORT="9001"
    ),
    "a missing startup probe": lambda d: _api(d).pop("startupProbe"),
    "an option the CLI lacks": lambda d: _api(d).update(command=["misena", "serve", "--no-wroker"]),
    "a command the CLI lacks": lambda d: _pod(d, "job-migrate.yaml")["containers"][0].update(
        command=["misena", "migrations"]
    ),
    "a misspelt setting": lambda d: d["configmap.yaml"]["data"].update(MISENA_WORKER_THREAD="8"),
    "a setting given per container": lambda d: _worker(d).update(
        env=[{"name": "MISENA_TRHEADS", "value": "4"}]
    ),
    "root": lambda d: _pod(d, "deployment-api.yaml")["securityContext"].update(runAsUser=0),
    "another uid than the image's": lambda d: _pod(d, "job-migrate.yaml")["securityContext"].update(
        runAsUser=1000
    ),
    "a writable root filesystem": lambda d: _worker(d)["securityContext"].update(
        readOnlyRootFilesystem=False
    ),
    "no writable /tmp": lambda d: _api(d).update(volumeMounts=_api(d)["volumeMounts"][:1]),
    "service links on": lambda d: _pod(d, "deployment-worker.yaml").pop("enableServiceLinks"),
    "the key file where nothing is mounted": lambda d: d["configmap.yaml"]["data"].update(
        MISENA_GOOGLE_KEY_FILE="/secrets/sa.json"
    ),
    "the key file under another name": lambda d: d["configmap.yaml"]["data"].update(
        MISENA_GOOGLE_KEY_FILE="/var/run/secrets/misena/google/key.json"
    ),
    "an unknown ConfigMap": lambda d: _api(d)["envFrom"][0]["configMapRef"].update(name="misena-settings"),
    "scraped on the wrong port": lambda d: d["deployment-worker.yaml"]["spec"]["template"]["metadata"][
        "annotations"
    ].update({"prometheus.io/port": "8000"}),
    "no resource limits": lambda d: _worker(d).pop("resources"),
    "a Service that selects nothing": lambda d: d["service-api.yaml"]["spec"]["selector"].update(
        {"app.kubernetes.io/component": "web"}
    ),
    "a Service to a port the API lacks": lambda d: d["service-api.yaml"]["spec"]["ports"][0].update(
        targetPort="web"
    ),
    "a disruption budget for no pod": lambda d: d["poddisruptionbudget-api.yaml"]["spec"]["selector"][
        "matchLabels"
    ].update({"app.kubernetes.io/component": "worker"}),
}


@pytest.mark.parametrize("mutate", WIRING_MUTATIONS.values(), ids=WIRING_MUTATIONS.keys())
def test_a_pod_that_does_not_fit_the_service_is_refused(
    mutate: Mutation, served_paths: dict[str, set[str]]
) -> None:
    assert wiring_problems(_mutated(mutate), served_paths) != []


def test_a_namespaced_resource_in_the_base_is_refused() -> None:
    mutated = _mutated(lambda d: d["service-api.yaml"]["metadata"].update(namespace="misena"))
    resource = next(r for r in mutated if r.kind == "Service")
    assert namespace_problems(resource) == [f"{resource}: sets a namespace; the base is namespace-agnostic"]


def _copy_base(tmp_path: Path) -> Path:
    directory = tmp_path / "base"
    shutil.copytree(K8S_BASE, directory)
    return directory


def test_a_manifest_the_kustomization_forgets_is_refused(tmp_path: Path) -> None:
    directory = _copy_base(tmp_path)
    (directory / "networkpolicy.yaml").write_text("kind: NetworkPolicy\n", encoding="utf-8")
    assert kustomization_problems(directory) == [
        "networkpolicy.yaml: in the directory, not in kustomization.yaml"
    ]


def test_a_listed_manifest_that_is_missing_is_refused(tmp_path: Path) -> None:
    directory = _copy_base(tmp_path)
    (directory / "service-api.yaml").unlink()
    assert kustomization_problems(directory) == [
        "service-api.yaml: listed in kustomization.yaml, no such file"
    ]


def test_a_namespaced_kustomization_is_refused(tmp_path: Path) -> None:
    directory = _copy_base(tmp_path)
    with (directory / "kustomization.yaml").open("a", encoding="utf-8") as file:
        file.write("namespace: misena\n")
    assert kustomization_problems(directory) != []
