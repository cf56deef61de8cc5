"""Request metrics stay bounded whatever a client sends: route templates, standard methods, and
log lines that never carry what an unknown path or a query held."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client import REGISTRY

from app.http.main import create_app
from app.http.request_metrics import MAX_LOGGED_PATH, loggable_path
from app.runtime.services import build_services
from app.settings import Settings


def requests(route: str, method: str, status: str) -> float:
    labels = {"route": route, "method": method, "status": status}
    return REGISTRY.get_sample_value("misena_http_requests_total", labels) or 0.0


def test_an_unknown_path_is_logged_with_documents_and_addresses_masked() -> None:
    assert loggable_path("/x/majo.pena@example.com/1098765432") == "/x/***@example.com/*******432"
    assert loggable_path("/v2/people/42") == "/v2/people/42", "short numbers are not documents"
    assert len(loggable_path("/" + "a" * 1000)) == MAX_LOGGED_PATH


def test_labels_are_route_templates_and_standard_methods_whatever_is_sent() -> None:
    """Before the schema exists: the gate answers ``/v1`` before any route runs, and the label is
    still the template; a made-up method is ``other``; a path no route knows is ``unmatched``."""
    app = create_app(build_services(Settings(demo_mode=True, database_url="sqlite://")))
    before = (
        requests("/v1/people/{person_id}", "GET", "503"),
        requests("/livez", "other", "405"),
        requests("unmatched", "GET", "404"),
    )

    async def send() -> list[int]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            answers = [
                await client.get("/v1/people/1098765432"),
                await client.request("BREW", "/livez"),
                await client.get("/nowhere/1098765432"),
            ]
        return [answer.status_code for answer in answers]

    assert asyncio.run(send()) == [503, 405, 404]
    after = (
        requests("/v1/people/{person_id}", "GET", "503"),
        requests("/livez", "other", "405"),
        requests("unmatched", "GET", "404"),
    )
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1]
