"""Schemathesis against the committed ``openapi/openapi.json``: every IT staff operation (and the
health probes) called over real HTTP with an admin token, a bounded number of generated
requests each, valid and invalid ones (and some without the token). No answer may be a 5xx,
and every answer must match the document: a status code it lists (``status_code_conformance``:
the document promises every answer the API gives), a media type it lists, and a body its
schema for that status and media type accepts.

``POST /webhooks/sofia-plus`` is called too, each generated body signed as Sofia Plus signs it
(:class:`SofiaPlusSignature`), so its validation answers — not only its 401 — must match the
document. Left out: ``GET /metrics``, Prometheus text whose only schema is ``type: string``.

The service runs once for the module (SQLite: the document does not depend on the store),
seeded with enrolled apprentices, a dead job, a held suspension and a planned sync run. Half
the generated path ids are drawn from those rows, so the 200 and 409 answers run, not only
the 404s. Generation is derandomized, so every run sends the same requests. Schemathesis's
examples and fuzzing phases run; its coverage phase (~950 more boundary-value requests, +8 s)
found nothing more than fuzzing did and is left off to keep ``make test`` quick.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from app.clock import FrozenClock
from app.db.engine import make_engine
from app.db.migrate import upgrade
from app.db.models import Job, Person, SuspensionHold, SyncRun
from app.http.main import create_app
from app.runtime.services import build_services
from app.staff.tokens import Scope
from sofia_sync.policy import SOFIA_SCHEMA_DEFINITION
from tests.support import harness as service
from tests.support.databases import sqlite_url
from tests.support.events import enrolled, person, status_changed
from tests.support.harness import Harness
from tests.support.hostile_requests import signed_headers
from tests.support.roster_files import csv_bytes, fake_rows, write_xlsx
from tests.support.staff_api import INVALID_INSERT
from tests.support.staff_client import staff_client
from workspace.emulator.config import EmulatorConfig
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import BackgroundServer, EmulatorServer

DOCUMENT = Path(__file__).parents[3] / "openapi" / "openapi.json"
MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
#: Operations whose document is known to be wrong, and the checks that are off for them until
#: it is fixed (``test_known_gaps_are_still_open`` fails once it is: then drop the entry).
#: retry-dead: the router passes no ``responses=problems()``, so its 401/403 are undocumented
#: and its 422 is documented as FastAPI's application/json HTTPValidationError.
PEOPLE = [f"10{n:08d}" for n in range(1, 5)]
#: The ids the seed gives its rows on a new database, by path parameter (the examples phase
#: draws at collection time, before any fixture runs; ``_seed`` checks them).
KNOWN = {"person_id": [1, 2, 3, 4], "job_id": list(range(1, 12)), "run_id": [1]}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, rows)
    return buffer.getvalue()


# Roster uploads (``POST /v1/sync-runs``): a real export as often as arbitrary bytes, so plans
# get made (201), not only refused (422). Schemathesis keeps these per process.
for _media, _roster in {
    "text/csv": csv_bytes(fake_rows(3, seed=7), encoding="cp1252"),
    XLSX: _xlsx(fake_rows(3, seed=7)),
    "application/octet-stream": _xlsx(fake_rows(2, seed=8)),
}.items():
    schemathesis.openapi.media_type(_media, st.one_of(st.just(_roster), st.binary(max_size=512)))

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20260120,
        "generation": {
            "mode": "all",  # valid requests and invalid ones (which must get a documented 4xx)
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
        },
        "phases": {"coverage": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_path(DOCUMENT, config=CONFIG).exclude(path="/metrics")
WEBHOOK = "/webhooks/sofia-plus"


class SofiaPlusSignature(requests.auth.AuthBase):
    """Signs the body schemathesis generated (its exact bytes, as sent) with the service's
    secret, the way Sofia Plus does, so every generated event gets past the signature check."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        raw = body.encode() if isinstance(body, str) else body
        assert isinstance(raw, bytes)
        for name, value in signed_headers(raw).items():
            if name != "content-type":  # keep the media type schemathesis chose
                request.headers[name] = value
        return request


@schema.hook("before_generate_path_parameters")
def existing_rows_too(context: schemathesis.HookContext, strategy: st.SearchStrategy[Any]) -> Any:
    """Half the time, ids of rows that exist."""
    assert context.operation is not None
    names = [parameter.name for parameter in context.operation.path_parameters]
    if not names:
        return strategy
    rows = st.fixed_dictionaries({name: st.sampled_from(KNOWN[name]) for name in names})
    return st.one_of(rows, strategy)


@pytest.fixture(scope="module")
def seeded(
    emulator_server: EmulatorServer, key_info: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Harness, str]]:
    """The service (brake limit 1) on a seeded SQLite database, and an admin token."""
    directory = tmp_path_factory.mktemp("schemathesis")
    key_file = directory / "service-account.json"
    key_file.write_text(json.dumps(key_info), encoding="utf-8")
    url = sqlite_url(directory)
    engine = make_engine(url)
    upgrade(engine)
    settings = service.service_settings(
        url, key_file, emulator_server.base_url, brake={"limit": 1, "window_seconds": 3600}
    )
    clock = FrozenClock()
    services = build_services(settings, engine=engine, clock=clock)
    server = BackgroundServer(create_app(services), name="misena-schemathesis")
    server.start()
    control = EmulatorControl(emulator_server.base_url)
    try:
        control.reset(EmulatorConfig())
        control.seed(
            schemas=[SOFIA_SCHEMA_DEFINITION],
            users=[{"primaryEmail": service.SENDER, "password": "Sender-Password-2026",
                    "name": {"givenName": "Notificaciones", "familyName": "Mi SENA"}}],
        )  # fmt: skip
        harness = Harness(services, server.base_url, control, emulator_server, key_info, clock)
        _seed(harness)
        yield harness, staff_client(harness, Scope.ADMIN, name="schemathesis").token
    finally:
        control.close()
        server.stop()
        engine.dispose()


def _who(document: str) -> dict[str, Any]:
    return person(document, "CC", personal_email=f"p{document}@example.com")


def _seed(harness: Harness) -> None:
    """Four apprentices; Google refuses the first one's account (a dead job); two cancelled
    past their grace with a brake of one (one suspended, one held); a planned sync run."""
    start = harness.clock() - timedelta(days=2)
    harness.emulator.set_faults([INVALID_INSERT])
    harness.deliver(*(enrolled(start, who=_who(d)) for d in PEOPLE))
    cancelled = (status_changed(start + timedelta(hours=1), "CANCELADO", who=_who(d)) for d in PEOPLE[1:3])
    harness.deliver(*cancelled)
    harness.clock.advance(days=31)
    assert harness.sweep() == 2
    harness.drain()
    harness.services.sync.plan(
        io.BytesIO(csv_bytes(fake_rows(5))), scope="all", actor="test", source_name="roster.csv"
    )
    with harness.services.sessions() as session:
        assert list(session.scalars(select(Job.state).where(Job.state == "dead"))) == ["dead"]
        assert list(session.scalars(select(SuspensionHold.state))) == ["held"]
        seeded = {
            "person_id": list(session.scalars(select(Person.id).order_by(Person.id))),
            "job_id": list(session.scalars(select(Job.id).order_by(Job.id))),
            "run_id": list(session.scalars(select(SyncRun.id).order_by(SyncRun.id))),
        }
    for name, ids in seeded.items():  # the ids hinted at collection time are the ids there are
        assert ids, name
        assert set(ids) <= set(KNOWN[name]), (name, ids)


@schema.parametrize()
def test_every_operation_answers_as_documented(case: schemathesis.Case, seeded: tuple[Harness, str]) -> None:
    harness, token = seeded
    if case.path == WEBHOOK:
        case.call_and_validate(
            base_url=harness.base_url.rstrip("/"), checks=CHECKS, auth=SofiaPlusSignature()
        )
        return
    case.call_and_validate(
        base_url=harness.base_url.rstrip("/"),
        headers={"Authorization": f"Bearer {token}"},
        checks=CHECKS,
    )
