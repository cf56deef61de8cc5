"""The console's HTTP contract without a browser, on SQLite and PostgreSQL: the session cookie's
flags, a revoked token ending its session, no open redirect, bad input answered with a page
naming the field (never a 500, on either store), sign-out needing the CSRF token, and an action
leaving exactly the audit entry its ``/v1`` twin leaves."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.accounts.follow_up import FollowUpPolicy, follow_up
from app.console.application import console_app
from app.console.settings import ConsoleSettings
from app.db.models import AuditEvent
from app.staff.tokens import Scope, issue_token, revoke_token
from tests.app.console.conftest import AGENT, Console, serving_console
from tests.support.databases import DIALECTS, postgres_schema
from tests.support.staff_api import INVALID_INSERT, apprentice, enroll, person_id
from workspace.emulator.server import BackgroundServer, EmulatorServer

DOCUMENT = "1066000001"
KEY = f"CC:{DOCUMENT}"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module", params=DIALECTS)
def site(
    request: pytest.FixtureRequest,
    emulator_server: EmulatorServer,
    key_info: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Console]:
    with ExitStack() as stack:
        database = stack.enter_context(postgres_schema()) if request.param == "postgresql" else None
        served = stack.enter_context(
            serving_console(emulator_server, key_info, tmp_path_factory.mktemp("console-http"), database)
        )
        enroll(served.harness, apprentice(DOCUMENT, "caso@example.com", "Luz", "Ávila"))
        yield served


def _browser(site: Console) -> httpx.Client:
    return httpx.Client(base_url=site.url, follow_redirects=False, timeout=10)


def _csrf(client: httpx.Client, path: str = "/sign-in") -> str:
    found = CSRF.search(client.get(path).text)
    assert found is not None
    return found.group(1)


def _signed_in(site: Console, token: str, next_: str = "") -> tuple[httpx.Client, httpx.Response]:
    client = _browser(site)
    answer = client.post("/sign-in/token", data={"token": token, "csrf_token": _csrf(client), "next": next_})
    return client, answer


def test_the_session_cookie_is_httponly_lax_scoped_and_expires(site: Console) -> None:
    client, answer = _signed_in(site, site.admin_token)
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith("misena_console=")
    for flag in ("httponly", "samesite=lax", "path=/console", "max-age=28800"):
        assert flag in cookie, cookie
    assert "secure" not in cookie  # served over http here
    assert client.get("/").status_code == 200


def test_the_cookie_is_secure_behind_https(site: Console) -> None:
    settings = ConsoleSettings(public_url="https://misena.sena.edu.co")
    server = BackgroundServer(console_app(site.harness.services, settings), name="console-https")
    server.start()
    try:
        answer = httpx.get(server.base_url + "sign-in", timeout=10)
    finally:
        server.stop()
    assert "; secure" in answer.headers["set-cookie"].lower()


def test_a_revoked_token_ends_its_session(site: Console) -> None:
    services = site.harness.services
    issued = issue_token(
        services.sessions, "temporal", [Scope.ACCOUNTS_READ], created_by="test", clock=site.harness.clock
    )
    client, _ = _signed_in(site, issued.token)
    assert client.get("/people").status_code == 200
    assert revoke_token(services.sessions, issued.id, "test", clock=site.harness.clock)
    answer = client.get("/people")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/sign-in")


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/console/", "/console\\@evil"])
def test_sign_in_never_redirects_off_the_console(site: Console, target: str) -> None:
    _, answer = _signed_in(site, site.admin_token, target)
    assert answer.headers["location"] == "/console/"


def test_a_known_next_page_is_kept(site: Console) -> None:
    _, answer = _signed_in(site, site.admin_token, "/console/jobs")
    assert answer.headers["location"] == "/console/jobs"


def test_bad_input_is_a_page_naming_the_field_never_a_500(site: Console) -> None:
    client, _ = _signed_in(site, site.admin_token)
    for path in ("/people/abc", "/people/0", f"/people/{2**40}", "/jobs/-1/retry", "/sync/x"):
        answer = client.get(path) if not path.endswith("retry") else client.post(path, data={})
        assert answer.status_code == 422, (path, answer.status_code)
        assert "Valor no válido" in answer.text
    missing = client.get("/people/999999")
    assert missing.status_code == 404
    assert "No hay ninguna persona con ese id." in missing.text
    for path, status, words in (("/nowhere", 404, "Esa página no existe."), ("/holds", 405, "no admite")):
        answer = client.put(path) if status == 405 else client.get(path)
        assert answer.status_code == status
        assert words in answer.text
        assert answer.headers["content-type"].startswith("text/html")
    for field, value in (
        ("document", "1\x002"),
        ("name", "a" * 101),
        ("ficha", "12;drop"),
        ("email", "x\x07"),
    ):
        answer = client.get("/people", params={field: value})
        assert answer.status_code == 422, field
        assert "«" in answer.text
    nul = _browser(site)
    refused = nul.post("/sign-in/token", data={"token": "msn_\x00_x", "csrf_token": _csrf(nul)})
    assert refused.status_code == 401
    page = client.get(f"/people/{person_id(site.harness, KEY)}")
    token = CSRF.search(page.text)
    assert token is not None
    action = client.post(f"/people/{person_id(site.harness, KEY)}/suspend",
                         data={"reason": "motivo\x00oculto", "csrf_token": token.group(1)})  # fmt: skip
    assert action.status_code == 303
    assert "carácter" in client.get(f"/people/{person_id(site.harness, KEY)}").text
    assert site.harness.person(KEY).staff_suspended is False
    csrf = token.group(1)
    held = client.post(
        "/holds/release", data={"hold": str(2**40), "reason": "verificado", "csrf_token": csrf}
    )
    assert held.status_code == 303
    assert "Valor no válido en: hold" in client.get("/holds").text
    roster = {"roster": ("r\x00.csv", b"a;b\r\n", "text/csv")}
    upload = client.post("/sync", data={"scope": "centro:\x00", "csrf_token": csrf}, files=roster)
    assert upload.status_code == 303
    assert "carácter" in client.get("/sync").text


def test_without_a_session_pages_send_to_sign_in_and_posts_are_401(site: Console) -> None:
    client = _browser(site)
    answer = client.get("/holds")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in?next=/console/holds"
    assert (
        client.post(f"/people/{person_id(site.harness, KEY)}/reconcile", data={"reason": "x"}).status_code
        == 401
    )


def test_sign_out_needs_the_csrf_token_and_ends_the_session(site: Console) -> None:
    client, _ = _signed_in(site, site.admin_token)
    assert client.post("/sign-out", data={}).status_code == 403
    assert client.get("/").status_code == 200
    answer = client.post("/sign-out", data={"csrf_token": _csrf(client, "/")})
    assert answer.status_code == 303
    assert client.get("/").status_code == 303


def test_a_console_action_leaves_the_audit_entry_of_its_api_twin(site: Console) -> None:
    harness = site.harness
    target = person_id(harness, KEY)
    api = httpx.post(f"{harness.base_url}v1/people/{target}/reconcile", json={"reason": "Ticket 4711"},
                     headers={"Authorization": f"Bearer {site.admin_token}"}, timeout=10)  # fmt: skip
    assert api.status_code == 202, api.text
    client, _ = _signed_in(site, site.admin_token)
    page = client.get(f"/people/{target}")
    token = CSRF.search(page.text)
    assert token is not None
    answer = client.post(
        f"/people/{target}/reconcile", data={"reason": "Ticket 4711", "csrf_token": token.group(1)}
    )
    assert answer.status_code == 303
    with harness.services.sessions() as session:
        entries = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "person.reconcile").order_by(AuditEvent.id)
        ).all()
        shapes = [(e.actor, e.action, e.person_id, e.target, e.reason, e.details) for e in entries]
    assert len(shapes) == 2
    assert shapes[0] == shapes[1]
    assert shapes[0][:2] == ("token:mesa-admin", "person.reconcile")
    local = (harness.clock() - timedelta(hours=5)).strftime("%Y-%m-%d %H:%M")  # Colombia, UTC-5
    assert (
        f"<td>{local}</td><td>token:mesa-admin</td><td>person.reconcile</td>"
        in client.get(f"/people/{target}").text
    )


def test_a_session_ends_after_its_hours_however_busy(site: Console) -> None:
    client, _ = _signed_in(site, site.admin_token)
    site.harness.clock.advance(hours=7, minutes=59)
    assert client.get("/").status_code == 200
    site.harness.clock.advance(minutes=2)
    answer = client.get("/")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/sign-in")


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "CASO@example"), ("email", f"{DOCUMENT}@misena"), ("ficha", "2758392"), ("name", "luz avila")],
)
def test_search_by_email_part_ficha_and_name(site: Console, field: str, value: str) -> None:
    client, _ = _signed_in(site, site.admin_token)
    answer = client.get("/people", params={field: value})
    assert answer.status_code == 200
    assert f'href="/console/people/{person_id(site.harness, KEY)}"' in answer.text
    assert "Luz Ávila" in answer.text


def test_a_search_that_matches_nobody_says_so(site: Console) -> None:
    client, _ = _signed_in(site, site.admin_token)
    answer = client.get("/people", params={"ficha": "1111111"})
    assert "Nadie coincide." in answer.text


def test_the_person_page_says_so_when_google_cannot_be_read(site: Console) -> None:
    harness = site.harness
    client, _ = _signed_in(site, site.admin_token)
    fault = {
        "method": "directory.users.get",
        "status": 400,
        "reason": "invalid",
        "message": "Invalid",
        "times": 1,
    }
    harness.emulator.set_faults([fault])
    try:
        answer = client.get(f"/people/{person_id(harness, KEY)}")
    finally:
        harness.emulator.clear_faults()
    assert answer.status_code == 200
    assert "No se pudo consultar Google ahora" in answer.text
    assert "Registro de Sofia Plus" in answer.text


@pytest.mark.parametrize("path", ["/sign-in", "/", "/nowhere"])
def test_pages_are_never_cached_framed_or_sniffed(site: Console, path: str) -> None:
    client, _ = _signed_in(site, site.admin_token)
    headers = client.get(path).headers
    assert headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


def test_retry_every_dead_job_at_once(site: Console) -> None:
    harness = site.harness
    harness.emulator.set_faults([INVALID_INSERT])
    enroll(harness, apprentice("1066000101", "d1@example.com", "Uno", "Muerto"))
    enroll(harness, apprentice("1066000102", "d2@example.com", "Dos", "Muerto"))
    harness.emulator.clear_faults()
    client, _ = _signed_in(site, site.admin_token)
    page = client.get("/jobs")
    assert page.text.count('action="/console/jobs/') == 3  # two retries and "retry all"
    answer = client.post(
        "/jobs/retry-dead", data={"reason": "Google volvió", "csrf_token": _csrf(client, "/jobs")}
    )
    assert answer.status_code == 303
    assert "2 trabajos muertos volvieron a la cola." in client.get("/jobs").text
    harness.drain()
    for document in ("1066000101", "1066000102"):
        assert harness.get_user(f"{document}@misena.edu.co") is not None
    with harness.services.sessions() as session:
        entry = session.scalars(select(AuditEvent).where(AuditEvent.action == "job.retry_dead")).one()
        assert (entry.actor, entry.reason, len(entry.details["jobs"])) == (
            "token:mesa-admin",
            "Google volvió",
            2,
        )


def test_google_sign_in_by_hand_and_its_callback_works_once(site: Console) -> None:
    """The redirects a browser follows, followed one by one: the callback is good once; replayed
    (same state, same code) it is refused and makes no session."""
    client = _browser(site)
    start = client.get("/auth/google", params={"next": "/console/jobs"})
    assert start.status_code == 302
    authorize = httpx.URL(start.headers["location"])
    assert authorize.params["code_challenge_method"] == "S256"
    assert authorize.params["redirect_uri"] == site.url + "/auth/google/callback"
    form = {**dict(authorize.params), "email": AGENT[0], "password": AGENT[1]}
    with httpx.Client(timeout=10, follow_redirects=False) as google:
        answer = google.post(str(authorize.copy_with(query=None)), data=form)
    assert answer.status_code == 302
    callback = answer.headers["location"]
    signed_in = client.get(callback)
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/console/jobs"
    assert client.get("/jobs").status_code == 200
    assert _browser(site).get(callback).status_code == 401  # another browser: no state of its own
    assert client.get(callback).status_code == 401  # the state was used up in this session too


def test_the_person_page_shows_the_follow_up(site: Console) -> None:
    harness = site.harness
    target = person_id(harness, KEY)
    client, _ = _signed_in(site, site.reader_token)
    waiting = client.get(f"/people/{target}").text
    assert "Primer ingreso y seguimiento" in waiting
    assert 'data-code="waiting">Esperando el primer ingreso<' in waiting

    policy = FollowUpPolicy.of(harness.services.settings)
    harness.clock.advance(policy.first_wait)
    assert target in follow_up(harness.services.sessions, harness.clock(), policy).reminded
    harness.drain()

    client, _ = _signed_in(site, site.reader_token)  # a week later: a new session
    reminded = client.get(f"/people/{target}").text
    assert 'data-code="reminded">Con recordatorio, aún sin ingresar<' in reminded
    assert "<dt>Recordatorios enviados</dt><dd>1</dd>" in reminded
    assert "<td>Recordatorio</td>" in reminded, "the delivery's reason, in Spanish"
