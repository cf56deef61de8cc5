"""The connection Sofia Plus keeps alive survives hostile headers and unexpected errors, on the
production server (real uvicorn with :func:`app.http.guard.uvicorn_options`).

Requests are written over a raw socket a few KiB at a time, as a real network delivers them:
over loopback a whole request arrives in one read, which hides h11's limit on an incomplete
head (16 KiB by default). On main, a signature header of 80 to 200 KB delivered like that got
uvicorn's bare 400 and a closed connection (the client, still sending, saw a reset), and the
next request after any 500 found its connection closed.
"""

from __future__ import annotations

import io
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h11
import httpx
import pytest
from sqlalchemy import text

from app.clock import FrozenClock
from app.db.engine import make_engine
from app.http.guard import MAX_HEAD_BYTES
from app.logging_setup import configure_logging
from app.runtime.services import build_services
from app.staff.tokens import Scope, issue_token
from tests.support import harness as service
from tests.support.databases import sqlite_url
from tests.support.harness import SECRET, HarnessFactory
from tests.support.hostile_requests import (
    WEBHOOK_PATH,
    Served,
    client_port,
    encode,
    example,
    hostile_service,
    hostile_stores,
    production_server,
    signed_headers,
)
from workspace.emulator.server import EmulatorServer

__all__ = ["hostile_service", "hostile_stores"]

PIECE = 4 * 1024


class RawConnection:
    """One TCP connection, HTTP/1.1 spoken with h11, requests written ``PIECE`` bytes at a time."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.host = host
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.conn = h11.Connection(h11.CLIENT)

    def request(self, method: str, path: str, headers: dict[str, bytes], body: bytes = b"") -> h11.Response:
        if self.conn.our_state is h11.DONE:
            self.conn.start_next_cycle()
        head = [("host", self.host.encode()), ("content-length", str(len(body)).encode()), *headers.items()]
        data = self.conn.send(h11.Request(method=method, target=path, headers=head))
        data += self.conn.send(h11.Data(data=body)) + self.conn.send(h11.EndOfMessage())
        for start in range(0, len(data), PIECE):
            self.sock.sendall(data[start : start + PIECE])
            time.sleep(0.0005)  # let the server read each piece on its own
        return self._response()

    def _response(self) -> h11.Response:
        response: h11.Response | None = None
        self.body = b""
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                self.conn.receive_data(self.sock.recv(65536))
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                self.body += event.data
            elif isinstance(event, h11.EndOfMessage):
                assert response is not None
                return response

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw(hostile_service: Served) -> Iterator[RawConnection]:
    connection = RawConnection(hostile_service.url)
    yield connection
    connection.close()


def header(response: h11.Response, name: bytes) -> bytes | None:
    return next((value for key, value in response.headers if key == name), None)


@pytest.mark.parametrize("kilobytes", [80, 120, 200])
def test_a_signature_header_of_80_to_200_kb_is_431_and_the_connection_stays_open(
    hostile_service: Served, raw: RawConnection, kilobytes: int
) -> None:
    body = encode(example())
    padding = " v1,c2lnbmF0dXJhIGRlIHJlbGxlbm8=" * (kilobytes * 1024 // 32)
    response = raw.request("POST", WEBHOOK_PATH, signed_headers(body, padding=padding), body)
    assert response.status_code == 431
    assert header(response, b"content-type") == b"application/problem+json"
    assert b'"field":"webhook-signature"' in raw.body
    assert header(response, b"connection") != b"close"
    again = raw.request("POST", WEBHOOK_PATH, signed_headers(body), body)
    assert again.status_code == 202, raw.body


def test_too_many_headers_or_too_much_of_them_in_all_is_431_naming_headers(hostile_service: Served) -> None:
    body = encode(example())
    many = {f"x-sofia-{n}": "1" for n in range(120)}
    bulky = {f"x-sofia-{n}": "x" * 4000 for n in range(10)}
    for extra in (many, bulky):
        response = hostile_service.client.post(
            WEBHOOK_PATH, content=body, headers=signed_headers(body, extra=extra)
        )
        assert response.status_code == 431, response.text
        assert response.json()["errors"][0]["field"] == "headers"
    accepted = hostile_service.client.post(WEBHOOK_PATH, content=body, headers=signed_headers(body))
    assert accepted.status_code == 202
    assert client_port(accepted) == client_port(response), "the same kept-alive connection"


def test_a_head_over_the_servers_limit_is_refused_and_the_server_carries_on(hostile_service: Served) -> None:
    """Beyond MAX_HEAD_BYTES only uvicorn itself answers (a 400, closing the connection, which a
    client still sending may see as a reset); the server keeps serving everyone else."""
    body = encode(example())
    huge = signed_headers(body, padding=" v1,eA==" * (2 * MAX_HEAD_BYTES // 8))
    with httpx.Client(base_url=hostile_service.url, timeout=10) as doomed:
        try:
            status = doomed.post(WEBHOOK_PATH, content=body, headers=huge).status_code
        except (httpx.TransportError, OSError):
            status = None
    assert status in (400, None)
    after = hostile_service.client.post(WEBHOOK_PATH, content=body, headers=signed_headers(body))
    assert after.status_code == 202


def test_an_unexpected_error_is_a_500_problem_and_the_connection_survives(
    make_harness: HarnessFactory,
) -> None:
    """The safety net: a database that lost a column (nothing a request can cause) fails a
    search with an exception no code expects; it is answered, logged once, and the kept-alive
    connection serves the next request."""
    harness = make_harness()
    token = issue_token(
        harness.services.sessions, "mesa", [Scope.ADMIN], created_by="test", clock=harness.services.clock
    ).token
    with harness.services.engine.begin() as connection:
        connection.execute(text("ALTER TABLE people RENAME COLUMN search_name TO search_name_gone"))
    logs = io.StringIO()
    configure_logging("INFO", stream=logs)
    try:
        with production_server(harness.services) as url, httpx.Client(base_url=url, timeout=10) as client:
            failed = client.get(
                "/v1/people", params={"name": "zoraida"}, headers={"Authorization": f"Bearer {token}"}
            )
            after = client.get("/livez")
            ports = {client_port(failed), client_port(after)}
    finally:
        configure_logging()
    assert failed.status_code == 500
    assert failed.headers["content-type"] == "application/problem+json"
    assert failed.json()["status"] == 500
    assert after.status_code == 200
    assert len(ports) == 1, "the connection was kept"
    logged = logs.getvalue()
    lines = [line for line in logged.splitlines() if "unhandled_error" in line]
    assert len(lines) == 1, logged
    assert "/v1/people" in lines[0]
    assert "zoraida" not in logged
    assert token not in logged
    assert SECRET not in logged
    assert "Traceback" not in logged, "logged once, by misena, not again by uvicorn"


def test_the_guard_answers_before_any_other_middleware(
    tmp_path: Path, emulator_server: EmulatorServer, key_info: dict[str, Any]
) -> None:
    """On a database not migrated yet the schema gate answers 503 to a webhook; an oversize
    header is still refused first (431), because the guard wraps every other middleware — and
    so catches what any of them raises."""
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(key_info), encoding="utf-8")
    url = sqlite_url(tmp_path)
    engine = make_engine(url)
    settings = service.service_settings(url, key_file, emulator_server.base_url)
    services = build_services(settings, engine=engine, clock=FrozenClock())
    body = encode(example())
    try:
        with production_server(services) as base, httpx.Client(base_url=base, timeout=10) as client:
            gated = client.post(WEBHOOK_PATH, content=body, headers=signed_headers(body))
            oversize = client.post(
                WEBHOOK_PATH, content=body, headers=signed_headers(body, padding=" v1,eA==" * 4000)
            )
    finally:
        engine.dispose()
    assert gated.status_code == 503, gated.text
    assert oversize.status_code == 431, oversize.text
