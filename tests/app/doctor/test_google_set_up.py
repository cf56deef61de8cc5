"""``misena doctor`` against the emulator over real HTTP, set up as the demo sets it up and then
wrong in one way per test: each failure is named, with its Spanish hint, and the rest still run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.doctor.report import Report, Status, Verdict
from app.doctor.run import run_doctor
from app.settings import Settings
from tests.support.doctor_tenant import SENDER, doctor_settings, key_file, migrated_sqlite, seed_like_the_demo
from tests.support.google import SOFIA_SCHEMA
from workspace.emulator.auth import DEFAULT_DELEGATED_SCOPES
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import EmulatorServer

SCOPE = "https://www.googleapis.com/auth/"


@pytest.fixture
def key(emulator: EmulatorControl, tmp_path: Path) -> Path:
    return key_file(emulator, tmp_path)


@pytest.fixture
def settings(emulator_server: EmulatorServer, key: Path, tmp_path: Path) -> Settings:
    return doctor_settings(emulator_server, key, migrated_sqlite(tmp_path))


def verdict(report: Report, name: str) -> Verdict:
    return next(v for v in report.verdicts if v.name == name)


def failed(report: Report) -> list[str]:
    return [v.name for v in report.failures]


def test_every_check_passes_on_the_demos_seeding(emulator: EmulatorControl, settings: Settings) -> None:
    seed_like_the_demo(emulator)
    report = run_doctor(settings)
    assert report.passed, [v.as_json() for v in report.failures]
    assert [v.name for v in report.verdicts] == [
        "webhook_secrets", "database",
        "token:admin.directory.user", "token:admin.directory.orgunit", "token:admin.directory.group",
        "subject", "domain", "org_unit:/Aprendices", "org_unit:/Instructores", "org_unit:/Egresados",
        f"schema:{settings.policy.custom_schema}", f"sender:{SENDER}", "clock", "seats",
    ]  # fmt: skip
    assert {v.name for v in report.verdicts if v.status is not Status.OK} == {"seats"}
    assert verdict(report, "seats").status is Status.WARN, "Google does not tell the seats: unknown"
    assert emulator.sent_mail()[1] == [], "the sender's probe mails no one"


def test_a_scope_missing_from_the_delegation_is_named_with_the_client_id(
    emulator: EmulatorControl, settings: Settings, key: Path
) -> None:
    seed_like_the_demo(emulator)
    client_id = json.loads(key.read_text())["client_id"]
    emulator.delegate(client_id, sorted(DEFAULT_DELEGATED_SCOPES - {SCOPE + "admin.directory.orgunit"}))
    report = run_doctor(settings)
    assert failed(report) == ["token:admin.directory.orgunit"]
    missing = verdict(report, "token:admin.directory.orgunit")
    assert "unauthorized_client" in missing.message.es
    assert missing.hint is not None
    assert missing.hint.es == (
        "En la Consola de administración > Seguridad > Acceso y control de datos > Controles de API > "
        f"Administrar la delegación de todo el dominio, edite el ID de cliente {client_id} y añada el "
        f"permiso {SCOPE}admin.directory.orgunit."
    )
    units = [v for v in report.verdicts if v.name.startswith("org_unit:")]
    assert {v.status for v in units} == {Status.SKIPPED}, "skipped behind the refused token, not failed again"
    assert verdict(report, "subject").status is Status.OK


def test_gmail_send_missing_from_the_delegation_fails_the_sender(
    emulator: EmulatorControl, settings: Settings, key: Path
) -> None:
    seed_like_the_demo(emulator)
    client_id = json.loads(key.read_text())["client_id"]
    emulator.delegate(client_id, sorted(DEFAULT_DELEGATED_SCOPES - {SCOPE + "gmail.send"}))
    report = run_doctor(settings)
    assert failed(report) == [f"sender:{SENDER}"]
    hint = verdict(report, f"sender:{SENDER}").hint
    assert hint is not None
    assert f"añada el permiso {SCOPE}gmail.send" in hint.es


def test_an_unknown_subject_is_named_with_its_setting(emulator: EmulatorControl, settings: Settings) -> None:
    seed_like_the_demo(emulator)
    report = run_doctor(settings.model_copy(update={"google_admin": "nadie@misena.edu.co"}))
    assert failed(report)[:3] == [
        "token:admin.directory.user", "token:admin.directory.orgunit", "token:admin.directory.group",
    ]  # fmt: skip
    token = verdict(report, "token:admin.directory.user")
    assert "invalid_grant (Invalid email or User ID)" in token.message.es
    assert token.hint is not None
    assert token.hint.es.startswith(
        "nadie@misena.edu.co no es un usuario activo de este Google Workspace: corrija MISENA_GOOGLE_ADMIN"
    )
    assert verdict(report, "subject").status is Status.SKIPPED
    assert verdict(report, "domain").status is Status.SKIPPED


def test_a_subject_that_is_no_admin_cannot_manage_users(
    emulator: EmulatorControl, settings: Settings
) -> None:
    seed_like_the_demo(emulator)
    emulator.seed(
        users=[{"primaryEmail": "mesa@misena.edu.co", "name": {"givenName": "Mesa", "familyName": "Ayuda"},
                "password": "Mesa-de-ayuda-2026"}]
    )  # fmt: skip
    report = run_doctor(settings.model_copy(update={"google_admin": "mesa@misena.edu.co"}))
    assert "subject" in failed(report)
    subject = verdict(report, "subject")
    assert "Not Authorized to access this resource/api" in subject.message.es
    assert subject.hint is not None
    assert "Haga a mesa@misena.edu.co superadministrador" in subject.hint.es


def test_a_domain_not_the_tenants_fails(emulator: EmulatorControl, settings: Settings) -> None:
    seed_like_the_demo(emulator)
    policy = settings.policy.model_copy(update={"domain": "otro.edu.co"})
    report = run_doctor(settings.model_copy(update={"policy": policy}))
    assert failed(report) == ["domain"]
    hint = verdict(report, "domain").hint
    assert hint is not None
    assert hint.es.startswith("MISENA_POLICY__DOMAIN debe ser un dominio de este Google Workspace")


def test_a_missing_org_unit_is_named_as_one_misena_would_create(
    emulator: EmulatorControl, settings: Settings
) -> None:
    seed_like_the_demo(emulator, org_units=["/Aprendices", "/Instructores"])
    report = run_doctor(settings)
    assert report.passed, "misena creates a missing unit with the first account: a warning"
    missing = verdict(report, "org_unit:/Egresados")
    assert missing.status is Status.WARN
    assert missing.message.es == (
        "La unidad organizativa /Egresados no existe; misena la creará con la primera cuenta que ubique allí."
    )
    assert missing.hint is not None
    assert "Cree antes /Egresados en la Consola de administración" in missing.hint.es


def test_a_missing_schema_fails_with_how_to_create_it(emulator: EmulatorControl, settings: Settings) -> None:
    seed_like_the_demo(emulator, schemas=[])
    report = run_doctor(settings)
    assert failed(report) == ["schema:SofiaPlus"]
    schema = verdict(report, "schema:SofiaPlus")
    assert schema.message.es == "El esquema personalizado SofiaPlus no existe."
    assert schema.hint is not None
    assert "campos documentType, documentNumber, fichas, centro, regional" in schema.hint.es


def test_a_schema_unlike_what_misena_writes_names_the_fields(
    emulator: EmulatorControl, settings: Settings
) -> None:
    seed_like_the_demo(emulator, schemas=[SOFIA_SCHEMA])  # documentType, documentNumber, ficha
    report = run_doctor(settings)
    assert failed(report) == ["schema:SofiaPlus"]
    assert verdict(report, "schema:SofiaPlus").message.es == (
        "El esquema personalizado SofiaPlus difiere de lo que misena escribe: "
        "fichas (missing); centro (missing); regional (missing)."
    )


def test_without_a_schema_scope_the_schema_is_a_warning_naming_the_scope(
    emulator: EmulatorControl, settings: Settings, key: Path
) -> None:
    seed_like_the_demo(emulator)
    client_id = json.loads(key.read_text())["client_id"]
    readable = {SCOPE + "admin.directory.userschema", SCOPE + "admin.directory.userschema.readonly"}
    emulator.delegate(client_id, sorted(DEFAULT_DELEGATED_SCOPES - readable))
    report = run_doctor(settings)
    assert report.passed
    schema = verdict(report, "schema:SofiaPlus")
    assert schema.status is Status.WARN
    assert schema.hint is not None
    assert f"{SCOPE}admin.directory.userschema.readonly" in schema.hint.es


def test_a_suspended_sender_fails(emulator: EmulatorControl, settings: Settings) -> None:
    seed_like_the_demo(
        emulator,
        senders=[{"primaryEmail": SENDER, "name": {"givenName": "N", "familyName": "S"},
                  "password": "Remitente-2026-largo", "suspended": True}],
    )  # fmt: skip
    report = run_doctor(settings)
    assert failed(report) == [f"sender:{SENDER}"]
    sender = verdict(report, f"sender:{SENDER}")
    assert sender.message.es == f"El buzón remitente {SENDER} está suspendido."
    assert sender.hint is not None
    assert sender.hint.es.startswith(f"Reactive a {SENDER} en la Consola de administración")


def test_a_sender_that_does_not_exist_fails(emulator: EmulatorControl, settings: Settings) -> None:
    seed_like_the_demo(emulator, senders=[])
    report = run_doctor(settings)
    assert failed(report) == [f"sender:{SENDER}"]
    assert verdict(report, f"sender:{SENDER}").message.es == f"El buzón remitente {SENDER} no existe."


def test_a_clock_off_googles_by_more_than_a_minute_fails(
    emulator: EmulatorControl, settings: Settings
) -> None:
    seed_like_the_demo(emulator)
    emulator.advance_clock(120)  # Google's Date two minutes ahead of this machine
    report = run_doctor(settings)
    assert failed(report) == ["clock"]
    clock = verdict(report, "clock")
    assert clock.message.es in {
        f"El reloj de esta máquina está desfasado {s} s respecto al de Google."
        for s in ("-119", "-120", "-121")
    }
    assert clock.hint is not None
    assert "NTP" in clock.hint.es


def test_a_key_that_cannot_be_read_skips_google(
    emulator: EmulatorControl, settings: Settings, tmp_path: Path
) -> None:
    report = run_doctor(settings.model_copy(update={"google_key_file": tmp_path / "no-existe.json"}))
    assert failed(report) == ["credentials"]
    assert [v.name for v in report.verdicts] == ["webhook_secrets", "database", "credentials", "seats"]


def test_an_api_endpoint_that_does_not_answer_fails_each_call_and_the_clock(
    emulator: EmulatorControl, settings: Settings
) -> None:
    seed_like_the_demo(emulator)
    report = run_doctor(settings.model_copy(update={"google_api_endpoint": "http://127.0.0.1:1/"}))
    assert {"subject", "domain", "clock"} <= set(failed(report)), "tokens still come from the key's token_uri"
    clock = verdict(report, "clock")
    assert clock.message.es.startswith("No se pudo leer la hora de Google: ")
    assert clock.hint is not None
    assert clock.hint.es == "Verifique que esta máquina llegue a Google (o a MISENA_GOOGLE_API_ENDPOINT)."
