"""``openapi/openapi.json`` is what the app generates, and carries the contract's webhook."""

from __future__ import annotations

import json
from pathlib import Path

from app.http.main import openapi_document

DOCUMENT = Path(__file__).parents[3] / "openapi" / "openapi.json"


def test_the_committed_document_matches_the_app() -> None:
    generated = openapi_document()
    committed = json.loads(DOCUMENT.read_text("utf-8"))
    assert committed == generated, "openapi/openapi.json is stale: run `.venv/bin/misena openapi`"


def test_the_webhook_is_in_the_webhooks_section_with_the_contract_schemas() -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.1")
    webhook = document["webhooks"]["sofia-plus"]["post"]
    content = webhook["requestBody"]["content"]["application/json"]
    assert content["examples"]
    schemas = document["components"]["schemas"]
    event = schemas["SofiaPlusEvent"]
    assert "enrollment.created" in json.dumps(event)
    assert {"PersonPayload", "EnrollmentPayload"} <= set(schemas)
    receive = document["paths"]["/webhooks/sofia-plus"]["post"]
    assert {"202", "401", "413", "415", "422", "503"} <= set(receive["responses"])
