"""A kustomize overlay built the way kustomize builds it, for the parts our overlays use, so the
result can be validated like the base: ``resources`` (other kustomizations), ``namespace``,
``images`` (name → newName/newTag), and ``patches`` — strategic-merge patches without lists
(maps merged, ``$patch: delete`` removes the resource) and JSON 6902 patches with a target.

Anything else in an overlay is refused as a problem rather than ignored: this is a check of
what we ship, not a replacement for kustomize.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonpatch
import yaml

from tests.deploy.files import load_all_yaml, load_yaml
from tests.deploy.manifests import Resource

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}


@dataclass
class Built:
    resources: list[Resource]
    #: Resources an overlay deleted: created out of band (the real Secrets), still referenced.
    deleted: list[Resource] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _key(doc: dict[str, Any]) -> tuple[str, str]:
    return str(doc.get("kind")), str(doc.get("metadata", {}).get("name"))


def _merge(target: dict[str, Any], patch: dict[str, Any], where: str, problems: list[str]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value, where, problems)
        elif isinstance(value, list):
            problems.append(f"{where}: a list in a strategic-merge patch ({key}); use a JSON 6902 patch")
        else:
            target[key] = value


def build(directory: Path) -> Built:
    """The resources ``kubectl apply -k directory`` would send (for the supported subset)."""
    kustomization = load_yaml(directory / "kustomization.yaml")
    built = Built([])
    built.problems += [
        f"{directory.name}: {key} is not checked here" for key in sorted(set(kustomization) - SUPPORTED)
    ]
    for entry in kustomization.get("resources") or []:
        path = (directory / entry).resolve()
        if path.is_dir():
            inner = build(path)
            built.resources += inner.resources
            built.deleted += inner.deleted
            built.problems += inner.problems
        else:
            built.resources += [Resource(path, copy.deepcopy(doc)) for doc in load_all_yaml(path)]
    for patch in kustomization.get("patches") or []:
        _apply(directory, patch, built)
    for image in kustomization.get("images") or []:
        _set_image(image, built)
    if "namespace" in kustomization:
        for resource in built.resources:
            resource.doc.setdefault("metadata", {})["namespace"] = kustomization["namespace"]
    return built


def _apply(directory: Path, patch: dict[str, Any], built: Built) -> None:
    text = (directory / patch["path"]).read_text(encoding="utf-8") if "path" in patch else patch["patch"]
    docs = yaml.safe_load(text)
    if isinstance(docs, list):  # JSON 6902: needs a target
        target = patch.get("target") or {}
        matches = [r for r in built.resources if _key(r.doc) == (target.get("kind"), target.get("name"))]
        if not matches:
            built.problems.append(f"patch target {target} matches no resource")
        for resource in matches:
            try:
                patched = jsonpatch.apply_patch(resource.doc, docs)
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
                built.problems.append(f"patch on {target}: {exc}")
                continue
            resource.doc.clear()
            resource.doc.update(patched)
        return
    key = _key(docs)
    resource = next((r for r in built.resources if _key(r.doc) == key), None)
    if resource is None:
        built.problems.append(f"patch for {key[0]}/{key[1]} matches no resource")
        return
    if docs.get("$patch") == "delete":
        built.resources.remove(resource)
        built.deleted.append(resource)
        return
    _merge(resource.doc, docs, f"patch for {key[0]}/{key[1]}", built.problems)


def _set_image(image: dict[str, Any], built: Built) -> None:
    found = False
    for resource in built.resources:
        spec = resource.doc.get("spec", {}).get("template", {}).get("spec", {})
        for container in spec.get("containers") or []:
            name, _, tag = container["image"].partition(":")
            if name == image["name"]:
                found = True
                container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag)}"
    if not found:
        built.problems.append(f"images: no container uses {image['name']}")
