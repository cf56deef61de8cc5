"""The OpenAPI document of the service, with Sofia Plus's webhook in OpenAPI 3.1 ``webhooks``.

``openapi/openapi.json`` is generated from this (``misena openapi``) and a test fails when it
drifts from the app.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import TypeAdapter

from sofia_sync.contract import EVENT_EXAMPLES, Event

EVENT_SCHEMA = "SofiaPlusEvent"


def install_openapi(app: FastAPI) -> None:
    """Add the contract's event union as ``SofiaPlusEvent`` (with examples) to the document."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        from fastapi.openapi.utils import get_openapi

        document = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            routes=app.routes,
            webhooks=app.webhooks.routes,
        )
        schema = TypeAdapter(Event).json_schema(ref_template="#/components/schemas/{model}")
        definitions = schema.pop("$defs", {})
        schema["examples"] = list(EVENT_EXAMPLES.values())
        components = document.setdefault("components", {}).setdefault("schemas", {})
        components.update(definitions)
        components[EVENT_SCHEMA] = schema
        app.openapi_schema = document
        return document

    app.openapi = build  # type: ignore[method-assign]
