"""deploy/k8s/overlays/*: each builds on the base into resources Kubernetes accepts, that still
fit the service, and that send no placeholder Secret to the cluster."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.deploy.files import K8S_OVERLAYS
from tests.deploy.manifests import PLACEHOLDER, Resource, schema_problems, wiring_problems
from tests.deploy.overlays import Built, build

OVERLAYS = sorted(p.parent for p in K8S_OVERLAYS.glob("*/kustomization.yaml"))


def overlay_problems(built: Built, served: dict[str, set[str]]) -> list[str]:
    problems = list(built.problems)
    problems += [problem for r in built.resources for problem in schema_problems(r)]
    # The Secrets an overlay deleted are created out of band, with the same names and keys.
    problems += wiring_problems(built.resources + built.deleted, served)
    problems += [
        f"{r}: a placeholder Secret would reach the cluster" for r in _placeholder_secrets(built.resources)
    ]
    return problems


def _placeholder_secrets(resources: list[Resource]) -> list[Resource]:
    return [r for r in resources if r.kind == "Secret" and PLACEHOLDER in str(r.doc.get("stringData"))]


def test_there_is_an_example_overlay() -> None:
    assert [p.name for p in OVERLAYS] == ["example"]


@pytest.mark.parametrize("overlay", OVERLAYS, ids=[p.name for p in OVERLAYS])
def test_an_overlay_builds_into_valid_resources_that_fit_the_service(
    overlay: Path, served_paths: dict[str, set[str]]
) -> None:
    built = build(overlay)
    assert overlay_problems(built, served_paths) == []
    assert {r.doc["metadata"].get("namespace") for r in built.resources} == {"misena"}
    worker = next(r for r in built.resources if r.name == "misena-worker")
    assert worker.doc["spec"]["replicas"] == 3
    assert (
        worker.doc["spec"]["template"]["spec"]["containers"][0]["image"]
        == "registry.example.org/sena/misena:0.1.0"
    )


MUTATIONS = {
    "a patch for a Deployment that does not exist": ("name: misena-worker\n", "name: misena-workers\n"),
    "a JSON patch on a missing path": ("path: /spec/replicas", "path: /spec/replica/count"),
    "an image no container uses": ("  - name: misena\n", "  - name: misena-api\n"),
    "an unchecked generator": ("patches:\n", "configMapGenerator: []\npatches:\n"),
    "the placeholder Secrets applied": ("        name: misena-env\n", "        name: misena-environment\n"),
}


@pytest.mark.parametrize(("old", "new"), MUTATIONS.values(), ids=MUTATIONS.keys())
def test_a_broken_overlay_is_refused(
    old: str, new: str, tmp_path: Path, served_paths: dict[str, set[str]]
) -> None:
    root = tmp_path / "k8s"
    shutil.copytree(K8S_OVERLAYS.parent, root)
    kustomization = root / "overlays" / "example" / "kustomization.yaml"
    text = kustomization.read_text(encoding="utf-8")
    assert old in text
    kustomization.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert overlay_problems(build(kustomization.parent), served_paths) != []


def test_a_misspelt_setting_in_an_overlay_is_refused(
    tmp_path: Path, served_paths: dict[str, set[str]]
) -> None:
    root = tmp_path / "k8s"
    shutil.copytree(K8S_OVERLAYS.parent, root)
    patch = root / "overlays" / "example" / "configmap.yaml"
    patch.write_text(
        patch.read_text(encoding="utf-8").replace("WITHDRAWAL_GRACE", "WITHDRAW_GRACE"), encoding="utf-8"
    )
    assert overlay_problems(build(patch.parent), served_paths) != []
