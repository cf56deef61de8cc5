"""``misena tokens``, ``misena accounts`` and ``misena jobs``: the IT staff operations at a
terminal against the real service — tokens on its database (audited as ``cli:<actor>``), people
and jobs through its API (audited under the profile's token, ``token:cli``), ``--json`` the API's
own answers, values in Spanish, each refusal its exit code, bad usage exiting 2."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner, Result

from app.cli.main import cli
from app.db.models import AuditEvent, Job
from app.staff.tokens import Scope, authenticate
from tests.support.events import enrolled, person, person_updated
from tests.support.harness import Harness
from tests.support.mailboxes import emailed_password
from tests.support.staff_client import cli_environment

MAJO = "TI:1098765432"
MAJO_EMAIL = "majo.pena@example.com"
MAJO_ACCOUNT = "1098765432@misena.edu.co"
CARLOS = person("52.123.456", "CC", personal_email="carlos.ramirez@example.com",
                first_names="CARLOS", last_names="RAMIREZ GOMEZ")  # fmt: skip
#: How the audit trail names the profile's token (``tests.support.staff_client.cli_environment``).
CLI = "token:cli"
LUISA = person("80.123.456", "CC", personal_email=None, first_names="LUISA", last_names="ORTIZ")

Run = Callable[..., Result]


@pytest.fixture
def run(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """``misena ...`` against the harness (its API, and its database for ``tokens``), as an IT
    staff member at a wide terminal."""
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setattr("getpass.getuser", lambda: "tecnico")
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args))

    with cli_environment(harness, monkeypatch):
        yield invoke


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def as_json(result: Result) -> Any:
    return json.loads(ok(result).stdout)


def enroll(harness: Harness, *people: dict[str, Any], ficha: str = "2758392") -> None:
    for who in people:
        harness.deliver(enrolled(harness.clock(), who=who, ficha=ficha))


def audit_entries(harness: Harness, action: str) -> list[AuditEvent]:
    with harness.services.sessions() as session:
        entries = list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        for entry in entries:
            session.expunge(entry)
        return entries


# -- tokens --------------------------------------------------------------------------------


def test_a_token_is_shown_once_authenticates_and_stops_when_revoked(harness: Harness, run: Run) -> None:
    sessions = harness.services.sessions
    created = run("tokens", "create", "--name", "mesa-de-ayuda", "--scope", "accounts:read",
                  "--scope", "accounts:write", "--actor", "ana", "--json")  # fmt: skip
    issued = as_json(created)
    token = issued["token"]
    assert issued["scopes"] == ["accounts:read", "accounts:write"]
    assert issued["created_by"] == "cli:ana"
    assert "no se volverá a mostrar" in created.stderr
    caller = authenticate(sessions, token, harness.clock)
    assert caller is not None
    assert caller.scopes == {Scope.ACCOUNTS_READ, Scope.ACCOUNTS_WRITE}
    assert caller.name == "mesa-de-ayuda"

    shown = ok(run("tokens", "create", "--name", "robot", "--scope", "admin"))
    [second] = [line for line in shown.stdout.splitlines() if line.startswith("msn_")]
    assert shown.output.count(second) == 1, "printed once"
    assert "no se volverá a mostrar" in shown.output
    assert authenticate(sessions, second, harness.clock) is not None

    listed = ok(run("tokens", "list"))
    assert "mesa-de-ayuda" in listed.output
    assert "cli:ana" in listed.output
    assert "cli:tecnico" in listed.output, "the OS user by default"
    rows = as_json(run("tokens", "list", "--json"))
    assert [row["name"] for row in rows] == ["cli", "mesa-de-ayuda", "robot"], "cli: the profile's token"
    for text in (listed.output, json.dumps(rows)):
        for secret in (token, second):
            assert secret not in text
            assert secret.split("_")[-1] not in text
            assert hashlib.sha256(secret.encode()).hexdigest() not in text
    assert not any("hash" in key for row in rows for key in row)

    revoked = ok(run("tokens", "revoke", str(issued["id"]), "--actor", "ana"))
    assert "revocado" in revoked.output
    assert authenticate(sessions, token, harness.clock) is None
    assert authenticate(sessions, second, harness.clock) is not None
    [row] = [r for r in as_json(run("tokens", "list", "--json")) if r["id"] == issued["id"]]
    assert row["revoked_at"] is not None

    again = run("tokens", "revoke", str(issued["id"]))
    assert again.exit_code == 4, "refused: conflicts with the state"
    assert "ya está revocado" in again.output
    unknown = run("tokens", "revoke", "4242")
    assert unknown.exit_code == 3, "not found"
    assert "No encontrado" in unknown.output

    [_, create_entry, _] = audit_entries(harness, "token.create")
    assert (create_entry.actor, create_entry.target) == ("cli:ana", f"token:{issued['id']}")
    [revoke_entry] = audit_entries(harness, "token.revoke")
    assert (revoke_entry.actor, revoke_entry.target) == ("cli:ana", f"token:{issued['id']}")


def test_token_usage_mistakes_exit_2(run: Run) -> None:
    assert run("tokens", "create", "--name", "x").exit_code == 2, "a scope is required"
    assert run("tokens", "create", "--name", "x", "--scope", "everything").exit_code == 2
    assert run("tokens", "create", "--name", " ", "--scope", "admin").exit_code == 2
    assert run("tokens", "revoke", "zero").exit_code == 2
    assert [t["name"] for t in as_json(run("tokens", "list", "--json"))] == ["cli"], "nothing was created"


# -- accounts: finding and showing ----------------------------------------------------------


def test_search_by_each_filter_in_tables_and_json(harness: Harness, run: Run) -> None:
    enroll(harness, person(), CARLOS)
    enroll(harness, LUISA, ficha="2800123")
    majo, carlos, luisa = (harness.person(k).id for k in (MAJO, "CC:52123456", "CC:80123456"))

    def ids(*filters: str) -> list[int]:
        page = as_json(run("accounts", "search", *filters, "--json"))
        return [item["id"] for item in page["items"]]

    assert ids() == [luisa, carlos, majo], "newest first"
    assert ids("--document", "1.098.765.432") == [majo]
    assert ids("--document", "52 123 456") == [carlos]
    assert ids("--email", "carlos.ram") == [carlos]
    assert ids("--email", "80123456@misena") == [luisa]
    assert ids("--name", "ramirez") == [carlos]
    assert ids("--ficha", "2800123") == [luisa]
    assert ids("--state", "credentials_pending") == [luisa]
    assert ids("--ficha", "2758392", "--state", "active") == [carlos, majo]
    misspelt = run("accounts", "search", "--state", "activo")  # a state misena never writes
    assert misspelt.exit_code == 2
    assert "--state" in misspelt.output

    first = as_json(run("accounts", "search", "--limit", "2", "--json"))
    assert [item["id"] for item in first["items"]] == [luisa, carlos]
    rest = as_json(
        run("accounts", "search", "--limit", "2", "--page-token", first["next_page_token"], "--json")
    )
    assert [item["id"] for item in rest["items"]] == [majo]
    assert rest["next_page_token"] is None
    [summary] = as_json(run("accounts", "search", "--document", "52123456", "--json"))["items"]
    assert summary["person_key"] == "CC:52123456"
    assert summary["account_email"] == "52123456@misena.edu.co"
    assert summary["first_names"] == "Carlos"

    table = ok(run("accounts", "search", "--limit", "2"))
    assert "CC:80123456" in table.output
    assert "Luisa Ortiz" in table.output
    assert "credenciales pendientes" in table.output, "states by their Spanish names"
    assert "credentials_pending" not in table.output
    assert "--page-token" in table.output, "tells how to get the next page"
    assert "Personas: 0" in ok(run("accounts", "search", "--document", "999")).output

    assert run("accounts", "search", "--ficha", "27'58").exit_code == 2
    assert run("accounts", "search", "--limit", "0").exit_code == 2
    assert run("accounts", "search", "--page-token", "not-a-token").exit_code == 2, "the API's 400"


def test_show_gives_the_whole_picture_and_never_the_password(harness: Harness, run: Run) -> None:
    enroll(harness, person())
    [message] = harness.mail_to(MAJO_EMAIL)
    password = emailed_password(message)
    assert harness.emulator.password_valid(MAJO_ACCOUNT, password)
    majo = harness.person(MAJO).id

    shown = ok(run("accounts", "show", "1098765432"))
    for expected in (MAJO, MAJO_ACCOUNT, "María José", "Registro en Sofia Plus", "Matrículas", "2758392",
                     "Cuenta deseada", "/Aprendices/Distrito Capital", "Google Workspace", "Trabajos",
                     "conciliación", "Envíos de credenciales", MAJO_EMAIL, "enviado", "tipo de documento",
                     "Suspensiones retenidas", "Auditoría"):  # fmt: skip
        assert expected in shown.output, f"{expected!r} missing"
    detail = as_json(run("accounts", "show", "1.098.765.432", "--json"))
    assert detail["id"] == majo
    assert detail["person_key"] == MAJO
    assert detail["desired"]["primary_email"] == MAJO_ACCOUNT
    assert detail["workspace"]["primary_email"] == MAJO_ACCOUNT
    assert [(j["kind"], j["state"]) for j in detail["jobs"]] == [("reconcile", "done")]
    [delivery] = detail["deliveries"]
    assert (delivery["recipient_email"], delivery["status"]) == (MAJO_EMAIL, "sent")
    assert as_json(run("accounts", "show", "ti:1098765432", "--json"))["id"] == majo
    assert as_json(run("accounts", "show", "--id", str(majo), "--json"))["id"] == majo

    ok(run("accounts", "resend-credentials", "1098765432", "--reason", "Olvidó la contraseña"))
    harness.drain()
    [resent] = {emailed_password(m) for m in harness.mail_to(MAJO_EMAIL)} - {password}
    assert harness.emulator.password_valid(MAJO_ACCOUNT, resent)
    for output in (ok(run("accounts", "show", "1098765432")).output,
                   ok(run("accounts", "show", "1098765432", "--json")).output):  # fmt: skip
        for secret in (password, resent):
            assert secret not in output
            assert secret.replace("-", "") not in output


def test_show_asks_which_when_a_number_is_shared(harness: Harness, run: Run) -> None:
    enroll(harness, person("1098765432", "TI"), person("1098765432", "CC", personal_email="otra@example.com"))
    ti, cc = harness.person("TI:1098765432").id, harness.person("CC:1098765432").id

    ambiguous = run("accounts", "show", "1098765432")
    assert ambiguous.exit_code == 2, "usage: say which"
    assert "TI:1098765432" in ambiguous.stderr
    assert "CC:1098765432" in ambiguous.stderr
    assert "--id" in ambiguous.stderr
    assert ambiguous.stdout == ""
    assert run("accounts", "suspend", "1098765432", "--reason", "Uso indebido").exit_code == 2
    assert as_json(run("accounts", "show", "CC:1098765432", "--json"))["id"] == cc
    assert as_json(run("accounts", "show", "TI:1.098.765.432", "--json"))["id"] == ti

    missing = run("accounts", "show", "77777777")
    assert missing.exit_code == 3
    assert "No encontrado: ninguna persona tiene ese documento" in missing.stderr
    assert run("accounts", "show", "--id", "4242").exit_code == 3
    assert run("accounts", "show").exit_code == 2, "a document or --id"
    assert run("accounts", "show", "1098765432", "--id", str(ti)).exit_code == 2, "not both"
    assert run("accounts", "show", "XX:1098765432").exit_code == 2
    assert audit_entries(harness, "person.suspend") == [], "nothing was changed"


def test_a_former_document_still_finds_the_person(harness: Harness, run: Run) -> None:
    start = harness.clock() - timedelta(days=10)
    harness.deliver(enrolled(start))
    adult = person("1.000.123.456", "CC", first_names="MARÍA JOSÉ")
    harness.deliver(person_updated(start + timedelta(days=1), who=adult, previous=("TI", "1.098.765.432")))
    majo = harness.person("CC:1000123456").id

    for document in ("1000123456", "CC:1000123456", "1098765432", "TI:1.098.765.432"):
        assert as_json(run("accounts", "show", document, "--json"))["id"] == majo, document
    assert "CC:1000123456" in ok(run("accounts", "show", "TI:1098765432")).output
    assert run("accounts", "show", "CC:1098765432").exit_code == 3, "the type is part of the key"


# -- accounts: acting ----------------------------------------------------------------------


def test_each_action_is_audited_as_the_profiles_token(harness: Harness, run: Run) -> None:
    enroll(harness, person())
    majo = harness.person(MAJO).id

    accepted = as_json(run("accounts", "suspend", "1098765432", "--reason", "Uso indebido, ticket 4711",
                           "--json"))  # fmt: skip
    assert accepted == {"action": "person.suspend", "person_id": majo, "status": "queued"}
    [entry] = audit_entries(harness, "person.suspend")
    assert (entry.actor, entry.person_id, entry.reason) == (CLI, majo, "Uso indebido, ticket 4711")
    harness.drain()
    account = harness.get_user(MAJO_ACCOUNT)
    assert account is not None
    assert account["suspended"] is True

    refused = run("accounts", "suspend", "1098765432", "--reason", "Otra vez")
    assert refused.exit_code == 4, "the API's 409"
    assert refused.stderr == (
        "No se puede (no se cambió nada): La cuenta ya está suspendida por el personal de TI.\n"
    ), "the API's refusal, asked in Spanish"
    assert len(audit_entries(harness, "person.suspend")) == 1, "a refusal records nothing"

    done = ok(run("accounts", "unsuspend", "1098765432", "--reason", "Aclarado"))
    assert "suspensión levantada" in done.output
    [entry] = audit_entries(harness, "person.unsuspend")
    assert (entry.actor, entry.reason) == (CLI, "Aclarado")
    harness.drain()
    account = harness.get_user(MAJO_ACCOUNT)
    assert account is not None
    assert account["suspended"] is False

    ok(run("accounts", "reconcile", "--id", str(majo)))
    ok(run("accounts", "resend-credentials", "1098765432", "--reason", "Ticket 4712"))
    ok(run("accounts", "exclude", "1098765432", "--reason", "Cuenta de prueba"))
    excluded = run("accounts", "reconcile", "1098765432")
    assert excluded.exit_code == 4
    assert "excluida de la gestión" in excluded.stderr
    ok(run("accounts", "include", "1098765432"))
    for action, reason in (("person.reconcile", None), ("person.resend_credentials", "Ticket 4712"),
                           ("person.exclude", "Cuenta de prueba"), ("person.include", None)):  # fmt: skip
        [entry] = audit_entries(harness, action)
        assert (entry.actor, entry.person_id, entry.reason) == (CLI, majo, reason), action
    assert harness.person(MAJO).excluded is False

    trail = as_json(run("accounts", "show", "1098765432", "--json"))["audit"]
    assert [a["action"] for a in trail][:3] == [
        "person.include",
        "person.exclude",
        "person.resend_credentials",
    ]
    assert CLI in ok(run("accounts", "show", "1098765432")).output


def test_action_usage_mistakes_exit_2_and_change_nothing(harness: Harness, run: Run) -> None:
    enroll(harness, person())
    assert run("accounts", "suspend", "1098765432").exit_code == 2, "--reason is required"
    assert run("accounts", "suspend", "1098765432", "--reason", "no").exit_code == 2, "too short"
    assert run("accounts", "exclude", "1098765432").exit_code == 2
    assert run("accounts", "reconcile", "1098765432", "--reason", "x" * 501).exit_code == 2
    assert run("accounts", "reconcile", "1098765432", "--actor", "ana").exit_code == 2, "the token acts"
    assert run("accounts", "unsuspend").exit_code == 2
    assert run("accounts", "include", "1098765432").exit_code == 4, "409: not excluded"
    assert run("accounts", "resend-credentials", "1098765432").exit_code == 2, "--reason is required"
    assert run("accounts", "resend-credentials", "--id", "4242", "--reason", "Ticket 4713").exit_code == 3, (
        "404"
    )
    with harness.services.sessions() as session:  # the CLI's token and the account misena created
        assert [e.action for e in session.scalars(select(AuditEvent))] == ["token.create", "account.create"]


# -- jobs ----------------------------------------------------------------------------------


def test_jobs_list_show_cancel_and_retry(harness: Harness, run: Run) -> None:
    enroll(harness, person(), CARLOS)
    majo, carlos = harness.person(MAJO).id, harness.person("CC:52123456").id
    for document in ("1098765432", "52123456"):  # delivery jobs (a new account's are sent inline)
        ok(run("accounts", "resend-credentials", document, "--reason", "Pidió otra"))
    harness.drain()
    ok(run("accounts", "reconcile", "1098765432"))

    [pending] = as_json(run("jobs", "list", "--state", "pending", "--json"))["items"]
    assert (pending["kind"], pending["person_id"]) == ("reconcile", majo)
    everything = as_json(run("jobs", "list", "--json"))["items"]
    assert len(everything) == 5
    assert [j["id"] for j in everything] == sorted((j["id"] for j in everything), reverse=True)
    assert {
        j["person_id"] for j in as_json(run("jobs", "list", "--person-id", str(carlos), "--json"))["items"]
    } == {carlos}
    kinds = as_json(run("jobs", "list", "--kind", "deliver_credentials", "--json"))["items"]
    assert [j["person_id"] for j in kinds] == [carlos, majo]
    table = ok(run("jobs", "list", "--limit", "2")).output
    assert "correo de credenciales" in table, "kinds by their Spanish names"
    assert "hecho" in table, "states by their Spanish names"
    assert "--page-token" in table
    assert run("jobs", "list", "--state", "asleep").exit_code == 2
    assert run("jobs", "list", "--kind", "sleep").exit_code == 2

    cancelled = as_json(run("jobs", "cancel", str(pending["id"]), "--reason", "Ya no hace falta",
                            "--json"))  # fmt: skip
    assert cancelled["state"] == "cancelled"
    again = run("jobs", "cancel", str(pending["id"]))
    assert again.exit_code == 4
    assert "Solo se cancelan trabajos pendientes" in again.stderr
    assert as_json(run("jobs", "retry", str(pending["id"]), "--json"))["state"] == "pending"
    done = run("jobs", "retry", str(everything[-1]["id"]))
    assert done.exit_code == 4, "a done job is not retried"

    with harness.services.sessions.begin() as session:
        session.execute(
            update(Job).where(Job.id == pending["id"]).values(state="dead", last_error="Boom: 503")
        )
    shown = ok(run("jobs", "show", str(pending["id"])))
    assert "Boom: 503" in shown.output
    assert "muerto" in shown.output
    assert "último error" in shown.output, "fields by their Spanish labels"
    assert as_json(run("jobs", "show", str(pending["id"]), "--json"))["last_error"] == "Boom: 503"
    assert as_json(run("jobs", "retry", "--dead", "--json")) == {
        "action": "job.retry_dead",
        "count": 1,
    }
    assert as_json(run("jobs", "show", str(pending["id"]), "--json"))["state"] == "pending"
    assert "0 trabajos muertos" in ok(run("jobs", "retry", "--dead")).output

    missing = run("jobs", "show", "4242")
    assert missing.exit_code == 3
    assert "No encontrado: ningún trabajo tiene ese id" in missing.stderr
    assert run("jobs", "retry").exit_code == 2, "an id or --dead"
    assert run("jobs", "retry", str(pending["id"]), "--dead").exit_code == 2, "not both"

    for action in ("job.cancel", "job.retry", "job.retry_dead"):
        entries = audit_entries(harness, action)
        assert entries, action
        assert entries[0].actor == CLI, action
    [cancel] = audit_entries(harness, "job.cancel")
    assert (cancel.target, cancel.reason, cancel.person_id) == (
        f"job:{pending['id']}",
        "Ya no hace falta",
        majo,
    )
    assert audit_entries(harness, "job.retry_dead")[-1].actor == CLI
