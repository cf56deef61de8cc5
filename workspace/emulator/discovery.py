"""Google's own discovery documents, as bundled in google-api-python-client.

The emulator answers from the same documents the real client builds its requests from, so a
method, path, scope or schema can never drift between the two. The documents are read once and
cached; callers get them as read-only :class:`~collections.abc.Mapping` views and must not mutate
them (they stay plain dicts underneath so they can still be serialised with ``json``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, get_args

Api = Literal["admin.directory_v1", "gmail.v1"]

#: Every API the emulator serves; kept next to :data:`Api` so both change together.
APIS: tuple[Api, ...] = get_args(Api)


@dataclass(frozen=True)
class MethodInfo:
    """What the emulator needs to know about one REST method to route, authorise and validate it."""

    id: str
    http_method: str
    path: str
    scopes: frozenset[str]
    request_schema: str | None
    response_schema: str | None


@functools.cache
def load_document(api: Api) -> Mapping[str, Any]:
    """The discovery document the installed client library itself uses for ``api``."""
    if api not in APIS:
        raise ValueError(f"unknown API {api!r}; expected one of {APIS}")
    documents = resources.files("googleapiclient") / "discovery_cache" / "documents"
    text = (documents / f"{api}.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def _walk_methods(resource: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Methods live at any depth (``users.messages.attachments``), so walk every resource."""
    yield from resource.get("methods", {}).values()
    for child in resource.get("resources", {}).values():
        yield from _walk_methods(child)


def _ref(container: Mapping[str, Any] | None) -> str | None:
    if container is None:
        return None
    ref = container.get("$ref")
    return ref if isinstance(ref, str) else None


def _method_info(raw: Mapping[str, Any]) -> MethodInfo:
    return MethodInfo(
        id=raw["id"],
        http_method=raw["httpMethod"],
        path=raw["path"],
        scopes=frozenset(raw.get("scopes", ())),
        request_schema=_ref(raw.get("request")),
        response_schema=_ref(raw.get("response")),
    )


@functools.cache
def _methods(api: Api) -> Mapping[str, MethodInfo]:
    return {info.id: info for info in map(_method_info, _walk_methods(load_document(api)))}


def method(api: Api, method_id: str) -> MethodInfo:
    """The method with discovery id ``method_id`` (e.g. ``"directory.users.insert"``).

    An unknown id is a bug in the emulator, not a client error, hence ``KeyError``.
    """
    try:
        return _methods(api)[method_id]
    except KeyError:
        raise KeyError(f"{api} has no method {method_id!r}") from None


def schema(api: Api, name: str) -> Mapping[str, Any]:
    """The schema named ``name`` in ``api``'s document; ``KeyError`` if there is none."""
    schemas: Mapping[str, Mapping[str, Any]] = load_document(api)["schemas"]
    try:
        return schemas[name]
    except KeyError:
        raise KeyError(f"{api} has no schema {name!r}") from None


def has_schema(api: Api, name: str) -> bool:
    """Whether ``name`` exists, for callers that fall back gracefully when Google renames one."""
    return name in load_document(api)["schemas"]
