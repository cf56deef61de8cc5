"""The main path: a signed enrollment becomes an account with every field right, and the
credentials email the person receives holds a password that really signs in."""

from __future__ import annotations

from email.message import EmailMessage

from pydantic import SecretStr

from tests.support.harness import Harness, enrollment
from tests.support.mailboxes import emailed_password
from workspace.directory import GoogleDirectory
from workspace.google_session import GoogleConnection, ServiceFactory
from workspace.models import ExternalId, NewUser, UserName

ADDRESS = "1098765432@misena.edu.co"
PERSONAL = "majo.pena@example.com"
KEY = "TI:1098765432"


def assert_one_working_email(harness: Harness) -> None:
    messages = harness.mail_to(PERSONAL)
    assert len(messages) == 1
    assert harness.emulator.password_valid(ADDRESS, emailed_password(messages[0]))


def test_signed_enrollment_becomes_a_complete_account(harness: Harness) -> None:
    assert harness.post(enrollment()).status_code == 202
    harness.drain()

    user = harness.google_user(ADDRESS)
    assert user is not None
    assert user["name"] == {
        "givenName": "María José",
        "familyName": "Peña de la Torre",
        "fullName": "María José Peña de la Torre",
    }
    assert user["orgUnitPath"] == "/Aprendices/Distrito Capital"
    assert user["changePasswordAtNextLogin"] is True
    assert user["recoveryEmail"] == PERSONAL
    assert user["recoveryPhone"] == "+573001234567"
    assert {"value": "TI-1098765432", "type": "organization"} in user["externalIds"]
    schema = user["customSchemas"]["SofiaPlus"]
    assert schema["documentType"] == "TI"
    assert schema["documentNumber"] == "1098765432"
    assert user["suspended"] is False
    person = harness.person(KEY)
    assert person.account_status == "active"
    assert person.primary_email == ADDRESS


def test_the_email_is_spanish_and_its_password_signs_in(harness: Harness) -> None:
    harness.post(enrollment())
    harness.drain()

    [message] = harness.mail_to(PERSONAL)
    assert message["To"].addresses[0].display_name.startswith("María José")
    text = message.get_body(preferencelist=("plain",))
    assert isinstance(text, EmailMessage)
    body = text.get_content()
    assert ADDRESS in body
    assert "contraseña" in body
    assert "018000 910270" in body
    assert harness.emulator.password_valid(ADDRESS, emailed_password(message))
    [delivery] = harness.deliveries(KEY)
    assert delivery.status == "sent"


def test_directory_calls_per_new_account(harness: Harness) -> None:
    """One insert and one ficha membership per account once the org unit and the ficha group
    are known: no lookup before the create (a 409 would say it exists), no patch."""
    harness.post(enrollment())
    harness.drain()
    harness.emulator.clear_counters()
    harness.post(enrollment("52.123.456", document_type="CC", email_address="otra@example.com"))
    harness.drain()
    calls = harness.emulator.counters()["calls"]
    directory_calls = {m: sum(v.values()) for m, v in calls.items() if m.startswith("directory.")}
    assert directory_calls == {
        "directory.users.insert": 1,
        "directory.members.insert": 1,
    }


def test_duplicate_content_with_a_new_id_gives_one_account_and_one_email(harness: Harness) -> None:
    harness.post(enrollment(), webhook_id="msg_a")
    harness.post(enrollment(), webhook_id="msg_b")
    harness.drain()
    harness.post(enrollment(), webhook_id="msg_c")
    harness.drain()
    assert harness.emulator.calls("directory.users.insert", 200) == 1
    assert_one_working_email(harness)


def test_a_retried_reconcile_changes_nothing(harness: Harness) -> None:
    harness.post(enrollment())
    harness.drain()
    person = harness.person(KEY)
    outcome = harness.services.reconciler.reconcile(person.id)
    assert outcome.action == "unchanged"
    assert harness.emulator.calls("directory.users.insert", 200) == 1
    assert_one_working_email(harness)


def test_worker_killed_after_google_created_the_account(harness: Harness) -> None:
    """The insert reached Google but the worker died before recording it: the next run adopts
    the account and delivers fresh credentials — one account, one working email."""
    harness.post(enrollment())
    connection = GoogleConnection(key_info=harness.key_info, api_endpoint=harness.emulator_server.base_url)
    directory = GoogleDirectory(ServiceFactory(connection), "admin@misena.edu.co")
    directory.ensure_org_unit("/Aprendices/Distrito Capital")
    directory.create_user(
        NewUser(
            primary_email=ADDRESS,
            name=UserName(given_name="María José", family_name="Peña de la Torre"),
            password=SecretStr("lost-with-the-worker"),
            org_unit_path="/Aprendices/Distrito Capital",
            external_ids=[ExternalId(value="TI-1098765432")],
            custom_schemas={"SofiaPlus": {"documentType": "TI", "documentNumber": "1098765432"}},
        )
    )
    harness.drain()
    assert harness.emulator.calls("directory.users.insert", 200) == 1
    assert_one_working_email(harness)


def test_worker_killed_between_account_and_email(harness: Harness) -> None:
    """The account was recorded but the send failed: the delivery job sets a fresh password
    and sends it, so the one email that arrives holds the password that works."""
    harness.emulator.set_faults(
        [
            {
                "method": "gmail.users.messages.send",
                "status": 400,
                "reason": "invalidArgument",
                "times": 1,
            }
        ]
    )
    harness.post(enrollment())
    harness.drain()
    assert harness.emulator.calls("gmail.users.messages.send", 400) == 1
    assert_one_working_email(harness)
    assert harness.emulator.calls("directory.users.update") == 1  # the fresh password


def test_no_personal_email_creates_the_account_and_flags_credentials_pending(
    harness: Harness,
) -> None:
    harness.post(enrollment(email_address=None))
    harness.drain()
    assert harness.google_user(ADDRESS) is not None
    assert harness.person(KEY).account_status == "credentials_pending"
    [delivery] = harness.deliveries(KEY)
    assert delivery.status == "no_recipient"


def test_an_instructor_gets_the_instructors_org_unit(harness: Harness) -> None:
    event = {
        "type": "person.roles_changed",
        "occurred_at": "2026-02-01T10:00:00-05:00",
        "data": {
            "person": {
                "document_type": "CC", "document_number": "80.123.456", "first_names": "CARLOS",
                "last_names": "RAMÍREZ", "personal_email": "carlos@example.com", "mobile_phone": None,
                "birth_date": None,
            },
            "roles": ["INSTRUCTOR", "ADMINISTRATIVO"],
            "previous_roles": [],
        },
    }  # fmt: skip
    assert harness.post(event).status_code == 202
    harness.drain()
    user = harness.google_user("80123456@misena.edu.co")
    assert user is not None
    assert user["orgUnitPath"].startswith("/Instructores")
    assert len(harness.mail_to("carlos@example.com")) == 1


def test_an_account_that_belongs_to_someone_else_is_refused_and_flagged(harness: Harness) -> None:
    harness.emulator.seed(
        org_units=["/Personal"],
        users=[{"primaryEmail": ADDRESS, "name": {"givenName": "Otra", "familyName": "Persona"},
                "password": "Someone-Elses-2026", "orgUnitPath": "/Personal"}],
    )  # fmt: skip
    harness.post(enrollment())
    harness.drain()
    user = harness.google_user(ADDRESS)
    assert user is not None
    assert user["name"]["givenName"] == "Otra"
    assert user["orgUnitPath"] == "/Personal"
    assert harness.person(KEY).account_status == "conflict"
    assert harness.mail_to(PERSONAL) == []
