"""Hostile requests, signed exactly as Sofia Plus signs its webhooks, and the service served the
way production serves it (real uvicorn with :func:`app.http.guard.uvicorn_options`).

The signature is computed over the raw body bytes, so bodies that no JSON library would write
(nesting 1,000 levels deep, a 5,000-digit number, ``\\u0000`` or a lone surrogate escape) still
pass the signature check and reach the code under test: Sofia's retries only stop on a 4xx.

``hostile_service`` is one service per store for a whole module (a database migrated once):
refused requests store nothing, and accepted ones use a fresh document number each
(:func:`next_document`), so tests stay independent without a database each.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from app.clock import FrozenClock
from app.db.engine import make_engine
from app.db.migrate import upgrade
from app.db.models import Job, Person, WebhookEvent
from app.http.guard import uvicorn_options
from app.http.main import create_app
from app.runtime.services import Services, build_services
from sofia_sync.contract import EVENT_EXAMPLES
from tests.support import harness as service
from tests.support.databases import DIALECTS, postgres_schema, sqlite_url
from tests.support.harness import SECRET, Harness
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import EmulatorServer, free_port

WEBHOOK_PATH = "/webhooks/sofia-plus"
EPOCH = "2026-01-20T08:15:00-05:00"
_DOCUMENTS = itertools.count(1)


def next_document() -> str:
    """A document number no other request of this process used (a fresh person)."""
    return f"10{next(_DOCUMENTS):08d}"


def example(kind: str = "enrollment.created", document: str | None = None) -> dict[str, Any]:
    """A fresh copy of the contract's example event of ``kind``, for a fresh person."""
    event = copy.deepcopy(EVENT_EXAMPLES[kind])
    event["data"]["person"]["document_number"] = document or next_document()
    return event


def encode(event: object, *, ascii_only: bool = False) -> bytes:
    """JSON as Sofia writes it (UTF-8); ``ascii_only`` escapes everything, which is the only way
    to send a lone surrogate (``"\\ud800"``): it cannot be written as UTF-8."""
    return json.dumps(event, ensure_ascii=ascii_only).encode("utf-8")


def signature(body: bytes, webhook_id: str, timestamp: str, secret: str = SECRET) -> str:
    """Standard Webhooks ``v1`` over ``id.timestamp.body``; the id as the server reads the
    header (latin-1), encoded the way the verifier encodes what it signs (UTF-8)."""
    key = base64.b64decode(secret.removeprefix("whsec_") + "==")
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(
    body: bytes,
    *,
    webhook_id: str | None = None,
    content_type: str = "application/json",
    extra: Mapping[str, str] | None = None,
    padding: str = "",
) -> dict[str, bytes]:
    """Headers with a valid signature for ``body``; ``padding`` is appended to the signature
    header (more space-separated signatures, as in a key rotation, only bigger)."""
    msg_id = webhook_id if webhook_id is not None else f"msg_{secrets.token_hex(12)}"
    timestamp = str(int(time.time()))
    headers = {
        "content-type": content_type,
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature(body, msg_id, timestamp) + padding,
        **(extra or {}),
    }
    return {name: value.encode("latin-1") for name, value in headers.items()}


def post_signed(client: httpx.Client, body: bytes, **options: Any) -> httpx.Response:
    return client.post(WEBHOOK_PATH, content=body, headers=signed_headers(body, **options))


def field_names(response: httpx.Response) -> list[str]:
    """The fields a problem+json answer names."""
    return [error["field"] for error in response.json().get("errors", [])]


def client_port(response: httpx.Response) -> int:
    """The client side of the TCP connection the response came over: the same port for two
    responses means the connection was kept alive between them."""
    return int(response.extensions["network_stream"].get_extra_info("client_addr")[1])


def sent_id(response: httpx.Response) -> str:
    return response.request.headers["webhook-id"]


def stored_payload(services: Services, webhook_id: str) -> Any:
    """The stored body of the event acknowledged under ``webhook_id`` (``None``: not stored)."""
    with services.sessions() as session:
        return session.scalars(
            select(WebhookEvent.payload).where(WebhookEvent.webhook_id == webhook_id)
        ).first()


def people_with(services: Services, document: str) -> int:
    with services.sessions() as session:
        query = select(func.count()).select_from(Person).where(Person.document_number == document)
        return session.scalar(query) or 0


def jobs_of(services: Services, document: str) -> list[tuple[str, str, str | None]]:
    """The jobs of the person with ``document``: (kind, state, last error)."""
    with services.sessions() as session:
        query = select(Job.kind, Job.state, Job.last_error).join(Person, Person.id == Job.person_id)
        return [tuple(row) for row in session.execute(query.where(Person.document_number == document))]


@dataclass
class Served:
    """One service on one store, under the production server, with a kept-alive client."""

    services: Services
    url: str
    client: httpx.Client

    def harness(
        self, tenant: EmulatorControl, emulator_server: EmulatorServer, key: dict[str, Any]
    ) -> Harness:
        """The service harness on this database, with services built afresh (their caches,
        such as the org units already created, must not outlive the emulator's reset)."""
        clock = FrozenClock()
        services = build_services(self.services.settings, engine=self.services.engine, clock=clock)
        return Harness(services, self.url + "/", tenant, emulator_server, key, clock)

    def assert_refused(
        self, response: httpx.Response, status: int, field: str, document: str | None = None
    ) -> None:
        """A problem ``status`` naming ``field``, and nothing of the request stored."""
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert field in field_names(response), response.text
        assert stored_payload(self.services, sent_id(response)) is None, "a refused event was stored"
        if document is not None:
            assert people_with(self.services, document) == 0, "a refused event made a person"


@contextmanager
def production_server(services: Services) -> Iterator[str]:
    """The app under real uvicorn with the production options; yields its base URL."""
    port = free_port("127.0.0.1")
    config = uvicorn.Config(create_app(services), **uvicorn_options(host="127.0.0.1", port=port))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="misena-production", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the production server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class _Stores:
    """One served service per store, made on first use and kept for the test process: a
    module-scoped parametrized fixture would be torn down and rebuilt each time pytest-xdist
    hands a worker a test of the other store."""

    def __init__(self, stack: ExitStack, directory: Path, emulator_server: EmulatorServer) -> None:
        self._stack, self._directory, self._emulator = stack, directory, emulator_server
        self._served: dict[str, Served] = {}

    def get(self, dialect: str) -> Served:
        if dialect not in self._served:
            self._served[dialect] = self._serve(dialect)
        return self._served[dialect]

    def _serve(self, dialect: str) -> Served:
        stack = self._stack
        url = (
            stack.enter_context(postgres_schema()) if dialect == "postgresql" else sqlite_url(self._directory)
        )
        engine = make_engine(url)
        stack.callback(engine.dispose)
        upgrade(engine)
        key_file = self._directory / "service-account.json"
        settings = service.service_settings(url, key_file, self._emulator.base_url)
        services = build_services(settings, engine=engine, clock=FrozenClock())
        base = stack.enter_context(production_server(services))
        client = stack.enter_context(httpx.Client(base_url=base, timeout=30))
        return Served(services, base, client)


@pytest.fixture(scope="session")
def hostile_stores(
    emulator_server: EmulatorServer, key_info: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_Stores]:
    directory = tmp_path_factory.mktemp("hostile")
    (directory / "service-account.json").write_text(json.dumps(key_info), encoding="utf-8")
    with ExitStack() as stack:
        yield _Stores(stack, directory, emulator_server)


@pytest.fixture(params=DIALECTS)
def hostile_service(request: pytest.FixtureRequest, hostile_stores: _Stores) -> Served:
    """The service on a migrated database of each store, served as in production, shared by
    every hostile test of this process on that store."""
    return hostile_stores.get(request.param)
