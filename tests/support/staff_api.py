"""Helpers shared by the IT staff API tests (``tests/app/http/v1``) and the other suites that
drive ``/v1``; no tests of its own.

* :func:`assert_problem` — an RFC 9457 answer with the status, shape and named fields expected;
* :func:`enroll` — apprentices enrolled through signed webhooks, the worker run to idle;
* :func:`snapshot` — every row misena keeps about people and their work, to show that a
  refused call changed nothing;
* ``shared`` — one service per database for a whole module, for tests that only need the API
  (scopes, tokens, bad input) and change nothing a neighbour could see.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, MetaData, Table, select

from app.clock import FrozenClock
from app.db.engine import make_engine
from app.db.migrate import upgrade
from app.http.main import create_app
from app.runtime.services import build_services
from app.staff.tokens import Scope
from tests.support import harness as service
from tests.support.databases import DIALECTS, postgres_schema, sqlite_url
from tests.support.events import enrolled, person
from tests.support.harness import Harness
from tests.support.staff_client import StaffClient, staff_client
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import BackgroundServer, EmulatorServer

PROBLEM_JSON = "application/problem+json"
#: The tables a staff action may change (tokens are left out: using one stamps last_used_at).
STATE_TABLES = (
    "people",
    "person_aliases",
    "jobs",
    "credential_deliveries",
    "suspension_holds",
    "suspensions",
    "audit_events",
    "webhook_events",
)

#: Google refuses a creation for good (a permanent 400): the reconcile job dies at once. Twice,
#: because the first write into an org unit a process has not written to yet meets a refusal that
#: does not name the unit by checking the unit and trying once more (``app.accounts.org_units``).
INVALID_INSERT = {
    "method": "directory.users.insert",
    "status": 400,
    "reason": "invalid",
    "message": "Invalid Input",
    "times": 2,
}


def assert_problem(response: httpx.Response, status: int, *fields: str) -> dict[str, Any]:
    """The response is a problem+json ``status`` with type/title/status, naming ``fields``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0].strip() == PROBLEM_JSON, response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    for member in ("type", "title"):
        assert isinstance(body[member], str), body
        assert body[member], body
    named = {error["field"] for error in body.get("errors") or []}
    assert set(fields) <= named, f"expected {fields} among the named fields {named}"
    return body


_HTTP = httpx.Client(timeout=30)  # one pool per process: a client per call costs ~25 ms


class PooledStaffClient(StaffClient):
    """:class:`StaffClient` (same token, same calls) over a kept-alive connection pool."""

    def get(self, path: str, **params: Any) -> httpx.Response:
        return _HTTP.get(self.harness.base_url + path.lstrip("/"), params=params, headers=self._headers())

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        url = self.harness.base_url + path.lstrip("/")
        return _HTTP.post(url, json=body or {}, headers=self._headers())


def api_client(harness: Harness, *scopes: Scope, name: str = "mesa-de-ayuda") -> StaffClient:
    """``staff_client(harness, *scopes)`` from tests/support/staff_client.py, pooled."""
    return PooledStaffClient(harness, staff_client(harness, *scopes, name=name).token)


def apprentice(document: str, email_address: str | None, first: str, last: str) -> dict[str, Any]:
    """A CC apprentice (ASCII names, so searches test one thing at a time)."""
    return person(document, "CC", personal_email=email_address, first_names=first, last_names=last)


def enroll(harness: Harness, *people: dict[str, Any], ficha: str = "2758392") -> None:
    """Each person enrolled a day ago in ``ficha``; the worker runs to idle after each."""
    at = harness.clock() - timedelta(days=1)
    harness.deliver(*(enrolled(at, who=who, ficha=ficha) for who in people))


def person_id(harness: Harness, key: str) -> int:
    return harness.person(key).id


def snapshot(harness: Harness) -> str:
    """Every row of the state tables, as text (equal before and after ⇒ nothing changed)."""
    with harness.services.engine.connect() as connection:
        tables = _state_tables(connection)
        return json.dumps(
            {
                t.name: [list(row) for row in connection.execute(select(t).order_by(*t.primary_key))]
                for t in tables
            },
            default=str,
        )


_REFLECTED: dict[str, list[Table]] = {}


def _state_tables(connection: Connection) -> list[Table]:
    """The state tables as reflected once per dialect (every test database is at head)."""
    dialect = connection.dialect.name
    if dialect not in _REFLECTED:
        metadata = MetaData()
        metadata.reflect(connection, only=list(STATE_TABLES))
        _REFLECTED[dialect] = list(metadata.sorted_tables)
    return _REFLECTED[dialect]


def audit_items(client: StaffClient, **filters: Any) -> list[dict[str, Any]]:
    """Every audit entry matching ``filters`` (all pages), newest first."""
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        params = {**filters, **({"page_token": token} if token else {})}
        response = client.get("/v1/audit-events", **params)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        token = page.get("next_page_token")
        if not token:
            return items


@pytest.fixture(scope="module", params=DIALECTS)
def shared(
    request: pytest.FixtureRequest,
    emulator_server: EmulatorServer,
    key_info: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Harness]:
    """The service on an empty database of each store, for a whole module: for tests that
    only speak to the API and change nothing another test could notice."""
    directory = tmp_path_factory.mktemp("api")
    key_file = directory / "service-account.json"
    key_file.write_text(json.dumps(key_info), encoding="utf-8")
    with ExitStack() as stack:
        postgres = request.param == "postgresql"
        url = stack.enter_context(postgres_schema()) if postgres else sqlite_url(directory)
        engine = make_engine(url)
        stack.callback(engine.dispose)
        upgrade(engine)
        clock = FrozenClock()
        services = build_services(
            service.service_settings(url, key_file, emulator_server.base_url), engine=engine, clock=clock
        )
        server = BackgroundServer(create_app(services), name="misena-shared")
        server.start()
        stack.callback(server.stop)
        control = EmulatorControl(emulator_server.base_url)
        stack.callback(control.close)
        yield Harness(services, server.base_url, control, emulator_server, key_info, clock)


def jobs(client: StaffClient, **filters: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/jobs", **filters)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
