"""The Kubernetes base (deploy/k8s/base) checked offline.

* The kustomization lists every manifest of its directory and nothing missing, and is
  namespace-agnostic.
* Every resource validates against Kubernetes' own JSON schemas (kubernetes-validate, strict:
  an unknown or misspelt field is an error), for the oldest and newest versions we support.
* The pods run what the service really is: ``misena`` commands that parse, ``MISENA_*``
  variables that are settings, probes and scrape annotations on paths the process serves and
  on the port it listens on, as the image's non-root user with a read-only root filesystem.
* The Secrets are examples: placeholders only.

Each check returns a list of problems (empty when the file is right), so a test can hand it a
broken copy and see it refused.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes_validate

from tests.deploy.files import load_all_yaml, load_yaml
from tests.deploy.service_facts import (
    command_problem,
    image_uid,
    listening_port,
    process_role,
    unknown_settings,
)

#: An older release that long-support managed clusters still run, and the newest the bundled
#: schemas know: the manifests use nothing newer than the first, nothing removed by the second.
KUBERNETES_VERSIONS = ("1.32", kubernetes_validate.latest_version())
PLACEHOLDER = "REPLACE_ME"
WORKLOAD_KINDS = {"Deployment", "Job"}


@dataclass(frozen=True)
class Resource:
    path: Path
    doc: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.doc.get("kind"))

    @property
    def name(self) -> str:
        return str(self.doc.get("metadata", {}).get("name"))

    def __str__(self) -> str:
        return f"{self.path.name}: {self.kind}/{self.name}"


def kustomization_problems(directory: Path) -> list[str]:
    kustomization = load_yaml(directory / "kustomization.yaml")
    listed = list(kustomization.get("resources") or [])
    present = sorted(p.name for p in directory.iterdir() if p.suffix in {".yaml", ".yml"})
    present.remove("kustomization.yaml")
    problems = [
        f"{name}: in the directory, not in kustomization.yaml" for name in present if name not in listed
    ]
    problems += [
        f"{name}: listed in kustomization.yaml, no such file" for name in listed if name not in present
    ]
    problems += [f"{name}: listed twice" for name in sorted(set(listed)) if listed.count(name) > 1]
    if "namespace" in kustomization:
        problems.append("kustomization.yaml sets a namespace: the base must be namespace-agnostic")
    return problems


def resources(directory: Path) -> list[Resource]:
    """Every resource the kustomization lists, in its order."""
    listed = load_yaml(directory / "kustomization.yaml").get("resources") or []
    return [Resource(directory / name, doc) for name in listed for doc in load_all_yaml(directory / name)]


def schema_problems(resource: Resource) -> list[str]:
    return [
        f"{resource} (Kubernetes {version}): {problem}"
        for version in KUBERNETES_VERSIONS
        if (problem := _schema_problem(json.dumps(resource.doc, sort_keys=True), version))
    ]


@functools.lru_cache(maxsize=512)
def _schema_problem(document: str, version: str) -> str | None:
    """One document against one version's schema. Cached: kubernetes-validate reads the schema
    files on every call, and the broken copies the tests make leave most resources unchanged."""
    try:
        kubernetes_validate.validate(json.loads(document), version, strict=True)
    except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError) as exc:
        message = getattr(exc, "message", None) or str(exc)
        return message.splitlines()[0]
    return None


def namespace_problems(resource: Resource) -> list[str]:
    if "namespace" in resource.doc.get("metadata", {}):
        return [f"{resource}: sets a namespace; the base is namespace-agnostic"]
    return []


def secret_problems(resource: Resource) -> list[str]:
    """An example Secret holds placeholders only, in plain ``stringData`` a reader can see."""
    if resource.kind != "Secret":
        return []
    problems = []
    if "data" in resource.doc:
        problems.append(f"{resource}: base64 `data` hides what it holds; use stringData")
    problems += [
        f"{resource}: {key} holds no {PLACEHOLDER} placeholder (never commit a real value)"
        for key, value in (resource.doc.get("stringData") or {}).items()
        if PLACEHOLDER not in str(value)
    ]
    return problems


def pod_template(resource: Resource) -> dict[str, Any]:
    template: dict[str, Any] = resource.doc["spec"]["template"]
    return template


def pod_labels(resource: Resource) -> dict[str, str]:
    labels: dict[str, str] = pod_template(resource)["metadata"].get("labels", {})
    return labels


def workloads(all_resources: list[Resource]) -> Iterator[Resource]:
    return (r for r in all_resources if r.kind in WORKLOAD_KINDS)


def _by_kind(all_resources: list[Resource], kind: str) -> dict[str, Resource]:
    return {r.name: r for r in all_resources if r.kind == kind}


def container_env(container: Mapping[str, Any], all_resources: list[Resource]) -> dict[str, str]:
    """The environment a container gets: envFrom's ConfigMaps and Secrets, then env."""
    sources = {
        "configMapRef": _by_kind(all_resources, "ConfigMap"),
        "secretRef": _by_kind(all_resources, "Secret"),
    }
    env: dict[str, str] = {}
    for ref in container.get("envFrom") or []:
        for key, named in sources.items():
            if key in ref and ref[key]["name"] in named:
                doc = named[ref[key]["name"]].doc
                env |= {k: str(v) for k, v in (doc.get("data") or doc.get("stringData") or {}).items()}
    env |= {item["name"]: str(item.get("value", "")) for item in container.get("env") or []}
    return env


def _pod_problems(
    resource: Resource, all_resources: list[Resource], served: Mapping[str, set[str]]
) -> list[str]:
    template = pod_template(resource)
    spec = template["spec"]
    where = str(resource)
    problems: list[str] = []
    security = spec.get("securityContext") or {}
    if security.get("runAsNonRoot") is not True or security.get("runAsUser") != image_uid():
        problems.append(f"{where}: must run as non-root uid {image_uid()} (the image's user)")
    if spec.get("enableServiceLinks") is not False:
        problems.append(
            f"{where}: enableServiceLinks must be false (a Service named misena sets MISENA_PORT)"
        )
    volumes = {v["name"]: v for v in spec.get("volumes") or []}
    for volume in volumes.values():
        secret = volume.get("secret")
        if secret and secret["secretName"] not in _by_kind(all_resources, "Secret"):
            problems.append(f"{where}: volume {volume['name']} mounts unknown Secret {secret['secretName']}")
    annotations = template["metadata"].get("annotations") or {}
    for container in spec["containers"]:
        name = f"{where} [{container['name']}]"
        problems += _container_problems(name, container, volumes, annotations, all_resources, served)
    return problems


def _container_problems(
    where: str,
    container: Mapping[str, Any],
    volumes: Mapping[str, Any],
    annotations: Mapping[str, str],
    all_resources: list[Resource],
    served: Mapping[str, set[str]],
) -> list[str]:
    argv = [*(container.get("command") or []), *(container.get("args") or [])]
    problems = [f"{where}: {problem}" for problem in [command_problem(argv)] if problem]
    for ref in container.get("envFrom") or []:
        kind, ref_key = ("ConfigMap", "configMapRef") if "configMapRef" in ref else ("Secret", "secretRef")
        if ref[ref_key]["name"] not in _by_kind(all_resources, kind):
            problems.append(f"{where}: envFrom names unknown {kind} {ref[ref_key]['name']}")
    env = container_env(container, all_resources)
    problems += [
        f"{where}: {name} is not a setting of app/settings.py" for name in unknown_settings(list(env))
    ]
    mounts = {m["mountPath"]: m for m in container.get("volumeMounts") or []}
    if (container.get("securityContext") or {}).get("readOnlyRootFilesystem") is not True:
        problems.append(f"{where}: readOnlyRootFilesystem must be true")
    if "emptyDir" not in volumes.get(mounts.get("/tmp", {}).get("name", ""), {}):
        problems.append(f"{where}: /tmp (where roster uploads spill) must be a writable emptyDir")
    if "resources" not in container or not {"requests", "limits"} <= set(container["resources"]):
        problems.append(f"{where}: needs resources requests and limits")
    role = process_role(argv)
    if role is None:
        return problems
    key_file = env.get("MISENA_GOOGLE_KEY_FILE")
    if key_file:
        problems += _key_file_problems(where, key_file, mounts, volumes, all_resources)
    return problems + _served_problems(where, container, argv, env, annotations, served[role])


def _served_problems(
    where: str,
    container: Mapping[str, Any],
    argv: list[str],
    env: Mapping[str, str],
    annotations: Mapping[str, str],
    served: set[str],
) -> list[str]:
    """The probes and the scrape ask the port the process listens on, on paths it serves."""
    problems: list[str] = []
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports") or []}
    port = listening_port(argv, env)
    if port not in ports.values():
        problems.append(f"{where}: declares no containerPort {port}, where `misena {argv[1]}` listens")
    expected = {"startupProbe": "/livez", "livenessProbe": "/livez", "readinessProbe": "/readyz"}
    for probe_name, expected_path in expected.items():
        get = (container.get(probe_name) or {}).get("httpGet")
        if get is None:
            problems.append(f"{where}: no {probe_name} over HTTP")
            continue
        if ports.get(get.get("port"), get.get("port")) != port:
            problems.append(
                f"{where}: {probe_name} asks port {get.get('port')!r}, the process listens on {port}"
            )
        if get.get("path") not in served:
            problems.append(
                f"{where}: {probe_name} path {get.get('path')!r} is not served by `misena {argv[1]}`"
            )
        elif get.get("path") != expected_path:
            problems.append(f"{where}: {probe_name} must ask {expected_path}")
    if annotations.get("prometheus.io/scrape") != "true":
        problems.append(f"{where}: no prometheus.io/scrape annotation")
    if annotations.get("prometheus.io/port") != str(port):
        problems.append(f"{where}: prometheus.io/port is not {port}, where /metrics answers")
    if annotations.get("prometheus.io/path", "/metrics") not in served:
        problems.append(f"{where}: prometheus.io/path is not served")
    return problems


def _key_file_problems(
    where: str,
    key_file: str,
    mounts: Mapping[str, Any],
    volumes: Mapping[str, Any],
    all_resources: list[Resource],
) -> list[str]:
    """MISENA_GOOGLE_KEY_FILE is a key of a Secret mounted read-only where the setting says."""
    directory, _, filename = key_file.rpartition("/")
    mount = mounts.get(directory)
    secret = volumes.get((mount or {}).get("name", ""), {}).get("secret")
    if mount is None or secret is None or mount.get("readOnly") is not True:
        return [f"{where}: MISENA_GOOGLE_KEY_FILE's directory {directory} is no read-only Secret mount"]
    doc = _by_kind(all_resources, "Secret")[secret["secretName"]].doc
    if filename not in (doc.get("stringData") or doc.get("data") or {}):
        return [f"{where}: Secret {secret['secretName']} has no key {filename} (MISENA_GOOGLE_KEY_FILE)"]
    return []


def _selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def wiring_problems(all_resources: list[Resource], served: Mapping[str, set[str]]) -> list[str]:
    """Pods, the Service and the PodDisruptionBudget fit together and fit the service."""
    problems: list[str] = []
    for workload in workloads(all_resources):
        problems += _pod_problems(workload, all_resources, served)
    api_pods = [w for w in workloads(all_resources) if _roles(w) == {"api"}]
    for service in _by_kind(all_resources, "Service").values():
        selected = [w for w in api_pods if _selects(service.doc["spec"].get("selector") or {}, pod_labels(w))]
        if not selected:
            problems.append(f"{service}: selects no API pods")
        names = {
            p.get("name")
            for w in selected
            for c in pod_template(w)["spec"]["containers"]
            for p in c.get("ports") or []
        }
        problems += [
            f"{service}: targetPort {port['targetPort']!r} is no container port of the API"
            for port in service.doc["spec"]["ports"]
            if port.get("targetPort") not in names
        ]
    for budget in _by_kind(all_resources, "PodDisruptionBudget").values():
        selector = budget.doc["spec"]["selector"].get("matchLabels") or {}
        if not any(_selects(selector, pod_labels(w)) for w in api_pods):
            problems.append(f"{budget}: selects no API pods")
    return problems


def _roles(workload: Resource) -> set[str | None]:
    return {
        process_role([*(c.get("command") or []), *(c.get("args") or [])])
        for c in pod_template(workload)["spec"]["containers"]
    }
