"""``/v1/people``: find a person by what the caller knows, see the whole picture, and each
action on a person doing what it says — in misena's state and, after the worker, in Google."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.staff.tokens import Scope
from tests.support.events import enrolled, person, person_updated
from tests.support.google import google_service
from tests.support.harness import Harness
from tests.support.mailboxes import emailed_password
from tests.support.staff_api import (
    api_client,
    apprentice,
    assert_problem,
    enroll,
    person_id,
    shared,
    snapshot,
)
from tests.support.staff_client import StaffClient

MAJO = "TI:1098765432"
MAJO_ACCOUNT = "1098765432@misena.edu.co"
MAJO_EMAIL = "majo.pena@example.com"
__all__ = ["shared"]

CARLOS = apprentice("52.123.456", "carlos.ramirez@example.com", "CARLOS", "RAMIREZ GOMEZ")
LUISA = apprentice("80.123.456", None, "LUISA", "ORTIZ")  # no personal email: credentials_pending


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def reader_writer(harness: Harness) -> StaffClient:
    return api_client(harness, Scope.ACCOUNTS_READ, Scope.ACCOUNTS_WRITE)


def google_admin(harness: Harness) -> Any:
    return google_service(harness.emulator_server, harness.key_info, "admin", "directory_v1")


def rename_in_google(harness: Harness, address: str, given_name: str) -> None:
    """Someone edits the account in the admin console: drift misena should repair."""
    body = {"name": {"givenName": given_name, "familyName": "Peña de la Torre"}}
    google_admin(harness).users().patch(userKey=address, body=body).execute()


def suspend_in_google(harness: Harness, address: str) -> None:
    google_admin(harness).users().patch(userKey=address, body={"suspended": True}).execute()


def given_name(harness: Harness, address: str) -> str:
    user = harness.get_user(address)
    assert user is not None
    return str(user["name"]["givenName"])


def suspended_in_google(harness: Harness, address: str) -> bool:
    user = harness.get_user(address)
    assert user is not None
    return bool(user["suspended"])


def test_search_by_each_filter_and_page_through(harness: Harness) -> None:
    enroll(harness, person())
    enroll(harness, CARLOS)
    enroll(harness, LUISA, ficha="2800123")
    majo, carlos, luisa = (person_id(harness, k) for k in (MAJO, "CC:52123456", "CC:80123456"))
    staff = api_client(harness, Scope.ACCOUNTS_READ)

    assert ids(staff.get("/v1/people")) == [luisa, carlos, majo], "newest first"
    assert ids(staff.get("/v1/people", document="1.098.765.432")) == [majo]
    assert ids(staff.get("/v1/people", document="52 123 456")) == [carlos]
    assert ids(staff.get("/v1/people", document="52123456")) == [carlos]
    assert ids(staff.get("/v1/people", document="999")) == []
    assert ids(staff.get("/v1/people", email="MAJO.PENA@example.com")) == [majo], "personal, any case"
    assert ids(staff.get("/v1/people", email="carlos.ram")) == [carlos], "part of it"
    assert ids(staff.get("/v1/people", email="80123456@misena")) == [luisa], "the account address"
    assert ids(staff.get("/v1/people", email="%")) == [], "wildcards are literal"
    assert ids(staff.get("/v1/people", name="ramirez")) == [carlos]
    assert ids(staff.get("/v1/people", name="Luisa")) == [luisa]
    assert ids(staff.get("/v1/people", name="Torre")) == [majo]
    assert ids(staff.get("/v1/people", ficha="2758392")) == [carlos, majo]
    assert ids(staff.get("/v1/people", ficha="2800123")) == [luisa]
    assert ids(staff.get("/v1/people", ficha="27583")) == [], "a ficha is matched whole"
    assert ids(staff.get("/v1/people", state="credentials_pending")) == [luisa]
    assert ids(staff.get("/v1/people", state="active")) == [carlos, majo]
    assert ids(staff.get("/v1/people", state="suspended")) == []
    assert ids(staff.get("/v1/people", ficha="2758392", state="active", name="carlos")) == [carlos]

    [summary] = staff.get("/v1/people", document="52123456").json()["items"]
    assert summary | {"updated_at": None} == {
        "id": carlos,
        "person_key": "CC:52123456",
        "document_type": "CC",
        "document_number": "52123456",
        "first_names": "Carlos",
        "last_names": "Ramirez Gomez",
        "account_email": "52123456@misena.edu.co",
        "account_status": "active",
        "status_reason": None,
        "excluded": False,
        "staff_suspended": False,
        "updated_at": None,
    }

    seen: list[int] = []
    page = staff.get("/v1/people", limit=1).json()
    while True:
        assert len(page["items"]) == 1
        seen.extend(item["id"] for item in page["items"])
        if not page.get("next_page_token"):
            break
        page = staff.get("/v1/people", limit=1, page_token=page["next_page_token"]).json()
    assert seen == [luisa, carlos, majo], "three pages, each person once, newest first"

    first = staff.get("/v1/people", state="active", limit=1).json()
    second = staff.get("/v1/people", state="active", limit=1, page_token=first["next_page_token"]).json()
    assert [first["items"][0]["id"], second["items"][0]["id"]] == [carlos, majo]
    assert second.get("next_page_token") is None, "the filter holds across pages"


@pytest.fixture(scope="module")
def on_record(shared: Harness) -> tuple[Harness, int]:
    """María José on record (stored when the webhook is accepted; searching needs no worker),
    in a service shared by the module's search-only tests."""
    response = shared.post(enrolled(shared.clock() - timedelta(days=1)))
    assert response.status_code == 202, response.text
    return shared, person_id(shared, MAJO)


def test_name_search_finds_names_with_accents_and_enes(on_record: tuple[Harness, int]) -> None:
    """The example person of the API's own schema is "María José Peña de la Torre"."""
    harness, majo = on_record
    staff = api_client(harness, Scope.ACCOUNTS_READ)
    assert ids(staff.get("/v1/people", name="Torre")) == [majo]
    for name in ("María", "Peña", "María José", "peña de la"):
        assert ids(staff.get("/v1/people", name=name)) == [majo], f"name={name!r} finds nobody"


def test_name_and_email_searches_look_only_at_names_and_emails(on_record: tuple[Harness, int]) -> None:
    """``name`` is "part of the names or surnames", ``email`` "account or personal email";
    neither should match the program, the regional, the ficha or the record's field names."""
    harness, majo = on_record
    staff = api_client(harness, Scope.ACCOUNTS_READ)
    assert ids(staff.get("/v1/people", email="majo.pena")) == [majo]
    for name in ("Software", "Capital", "example.com", "2758392", "first_names"):
        assert ids(staff.get("/v1/people", name=name)) == [], f"name={name!r} matched a non-name"
    for part in ("2758392", "first_names", "+573001234567"):
        assert ids(staff.get("/v1/people", email=part)) == [], f"email={part!r} matched a non-email"


def test_one_person_whole_and_reconcile_now(harness: Harness) -> None:
    """The picture shows what Sofia says, what the policy wants and what Google has (live,
    when asked) — here a console edit — and "reconcile now" repairs it through the queue."""
    enroll(harness, person())
    majo = person_id(harness, MAJO)
    rename_in_google(harness, MAJO_ACCOUNT, "Otra")
    staff = reader_writer(harness)
    response = staff.post(f"/v1/people/{majo}/reconcile", {"reason": "Ticket 4711"})
    assert response.status_code == 202, response.text
    assert response.json() == {"action": "person.reconcile", "person_id": majo, "status": "queued"}

    detail = staff.get(f"/v1/people/{majo}").json()
    assert detail["id"] == majo
    assert detail["person_key"] == MAJO
    assert detail["account_email"] == MAJO_ACCOUNT
    assert detail["account_status"] == "active"
    record = detail["record"]
    assert record["document_number"] == "1098765432"
    assert record["personal_email"] == MAJO_EMAIL
    assert [e["ficha"] for e in record["enrollments"]] == ["2758392"]
    assert record["enrollments"][0]["status"] == "EN_FORMACION"
    desired = detail["desired"]
    assert desired["primary_email"] == MAJO_ACCOUNT
    assert desired["given_name"] == "María José"
    assert desired["org_unit_path"] == "/Aprendices/Distrito Capital"
    assert desired["suspended"] is False
    assert [g["email"] for g in desired["groups"]] == ["ficha-2758392@misena.edu.co"]
    workspace = detail["workspace"]
    assert workspace["primary_email"] == MAJO_ACCOUNT
    assert workspace["google_user_id"]
    assert workspace["suspended_by_misena"] is False
    assert workspace["group_memberships"] == {"ficha-2758392@misena.edu.co": "MEMBER"}
    assert workspace["live"] is None, "Google is read only when asked"
    jobs = detail["jobs"]
    assert [(j["kind"], j["state"]) for j in jobs] == [
        ("reconcile", "pending"),
        ("reconcile", "done"),
    ], "newest first, the staff's reconcile queued; no idle delivery job (sent inline)"
    assert all(j["person_id"] == majo for j in jobs)
    [delivery] = detail["deliveries"]
    assert delivery["recipient_email"] == MAJO_EMAIL
    assert delivery["account_email"] == MAJO_ACCOUNT
    assert delivery["status"] == "sent"
    assert delivery["reason"] == "new_account"
    assert detail["holds"] == []
    [entry] = detail["audit"]
    assert (entry["action"], entry["actor"], entry["reason"]) == (
        "person.reconcile",
        "token:mesa-de-ayuda",
        "Ticket 4711",
    )
    live = staff.get(f"/v1/people/{majo}", live="true").json()["workspace"]["live"]
    assert live["primary_email"] == MAJO_ACCOUNT
    assert live["suspended"] is False
    assert live["name"]["given_name"] == "Otra", "live is Google's answer now"
    assert_problem(staff.get("/v1/people/424242"), 404)

    harness.drain()
    assert given_name(harness, MAJO_ACCOUNT) == "María José", "reconcile now repaired the edit"
    assert staff.get(f"/v1/jobs/{jobs[0]['id']}").json()["state"] == "done"


def test_resend_credentials_mails_a_new_password_that_signs_in(harness: Harness) -> None:
    enroll(harness, person())
    majo = person_id(harness, MAJO)
    [first] = harness.mail_to(MAJO_EMAIL)
    old_password = emailed_password(first)
    staff = reader_writer(harness)

    response = staff.post(f"/v1/people/{majo}/resend-credentials", {"reason": "olvidó la contraseña"})
    assert response.status_code == 202, response.text
    assert response.json() == {"action": "person.resend_credentials", "person_id": majo, "status": "queued"}
    harness.drain()

    messages = harness.mail_to(MAJO_EMAIL)
    assert len(messages) == 2, "one new email to the personal address"
    passwords = {emailed_password(m) for m in messages}
    [new_password] = passwords - {old_password}
    assert harness.emulator.password_valid(MAJO_ACCOUNT, new_password)
    assert not harness.emulator.password_valid(MAJO_ACCOUNT, old_password)
    deliveries = staff.get(f"/v1/people/{majo}").json()["deliveries"]
    assert [(d["reason"], d["status"], d["recipient_email"]) for d in deliveries] == [
        ("staff_reset", "sent", MAJO_EMAIL),
        ("new_account", "sent", MAJO_EMAIL),
    ]


def test_suspend_needs_a_reason_and_unsuspend_lifts_it(harness: Harness) -> None:
    enroll(harness, person())
    majo = person_id(harness, MAJO)
    staff = reader_writer(harness)
    before = snapshot(harness)
    assert_problem(staff.post(f"/v1/people/{majo}/suspend"), 422, "reason")
    assert_problem(staff.post(f"/v1/people/{majo}/suspend", {"reason": "x"}), 422, "reason")
    assert_problem(staff.post(f"/v1/people/{majo}/suspend", {"reason": None}), 422, "reason")
    assert snapshot(harness) == before, "an invalid request changes nothing"

    response = staff.post(f"/v1/people/{majo}/suspend", {"reason": "uso indebido, ticket 4711"})
    assert response.status_code == 202, response.text
    assert response.json() == {"action": "person.suspend", "person_id": majo, "status": "queued"}
    assert staff.get(f"/v1/people/{majo}").json()["staff_suspended"] is True
    harness.drain()
    assert suspended_in_google(harness, MAJO_ACCOUNT)
    detail = staff.get(f"/v1/people/{majo}").json()
    assert detail["account_status"] == "suspended"
    assert "uso indebido, ticket 4711" in (detail["workspace"]["suspension_reason"] or "")
    assert_problem(staff.post(f"/v1/people/{majo}/suspend", {"reason": "otra vez"}), 409)

    response = staff.post(f"/v1/people/{majo}/unsuspend")
    assert response.status_code == 202, response.text
    assert response.json() == {"action": "person.unsuspend", "person_id": majo, "status": "queued"}
    harness.drain()
    assert not suspended_in_google(harness, MAJO_ACCOUNT)
    detail = staff.get(f"/v1/people/{majo}").json()
    assert (detail["staff_suspended"], detail["account_status"]) == (False, "active")
    assert_problem(staff.post(f"/v1/people/{majo}/unsuspend"), 409)


def test_unsuspend_takes_over_a_suspension_made_in_the_console(harness: Harness) -> None:
    enroll(harness, person())
    majo = person_id(harness, MAJO)
    staff = reader_writer(harness)
    suspend_in_google(harness, MAJO_ACCOUNT)
    staff.post(f"/v1/people/{majo}/reconcile")
    harness.drain()
    assert staff.get(f"/v1/people/{majo}").json()["account_status"] == "suspended_outside"
    assert suspended_in_google(harness, MAJO_ACCOUNT), "misena leaves a console suspension alone"

    assert staff.post(f"/v1/people/{majo}/unsuspend", {"reason": "verificado"}).status_code == 202
    harness.drain()
    assert not suspended_in_google(harness, MAJO_ACCOUNT)
    assert staff.get(f"/v1/people/{majo}").json()["account_status"] == "active"


def test_an_excluded_person_is_left_alone_until_included(harness: Harness) -> None:
    enroll(harness, person())
    majo = person_id(harness, MAJO)
    staff = reader_writer(harness)
    assert_problem(staff.post(f"/v1/people/{majo}/exclude"), 422, "reason")
    assert_problem(staff.post(f"/v1/people/{majo}/include"), 409)

    response = staff.post(f"/v1/people/{majo}/exclude", {"reason": "cuenta de un directivo"})
    assert response.status_code == 202, response.text
    assert response.json() == {"action": "person.exclude", "person_id": majo, "status": "queued"}
    assert staff.get(f"/v1/people/{majo}").json()["excluded"] is True
    assert ids(staff.get("/v1/jobs", person_id=majo, state="pending")) == []
    for action, body in [
        ("exclude", {"reason": "otra vez"}),
        ("reconcile", {}),
        ("resend-credentials", {"reason": "olvidó la contraseña"}),
        ("suspend", {"reason": "uso indebido"}),
    ]:
        assert_problem(staff.post(f"/v1/people/{majo}/{action}", body), 409)

    rename_in_google(harness, MAJO_ACCOUNT, "Directiva")
    harness.deliver(person_updated(harness.clock() - timedelta(hours=1)))
    assert given_name(harness, MAJO_ACCOUNT) == "Directiva", "misena does not touch an excluded account"

    response = staff.post(f"/v1/people/{majo}/include", {"reason": "ya no es directiva"})
    assert response.status_code == 202, response.text
    assert response.json() == {"action": "person.include", "person_id": majo, "status": "queued"}
    assert staff.get(f"/v1/people/{majo}").json()["excluded"] is False
    harness.drain()
    assert given_name(harness, MAJO_ACCOUNT) == "María José", "managed again: drift repaired"
    assert_problem(staff.post(f"/v1/people/{majo}/include"), 409)


def test_resend_is_refused_without_an_account_or_a_personal_email(harness: Harness) -> None:
    enroll(harness, LUISA)
    harness.post(enrolled(harness.clock() - timedelta(days=1)))  # no worker yet: no account
    majo, luisa = person_id(harness, MAJO), person_id(harness, "CC:80123456")
    staff = reader_writer(harness)
    before = snapshot(harness)
    assert_problem(staff.post(f"/v1/people/{majo}/resend-credentials", {"reason": "ticket 4712"}), 409)
    assert_problem(staff.post(f"/v1/people/{majo}/suspend", {"reason": "uso indebido"}), 409)
    assert_problem(staff.post(f"/v1/people/{luisa}/resend-credentials", {"reason": "ticket 4712"}), 409)
    assert snapshot(harness) == before


def test_resend_needs_a_reason_like_a_suspension(harness: Harness) -> None:
    """A new password is a security action: without a reason (or a blank one) it is a 422
    naming ``reason``, and nothing is queued or audited."""
    enroll(harness, person())
    majo = person_id(harness, MAJO)
    staff = reader_writer(harness)
    before = snapshot(harness)
    for body in ({}, {"reason": None}, {"reason": "  "}):
        assert_problem(staff.post(f"/v1/people/{majo}/resend-credentials", body), 422, "reason")
    assert snapshot(harness) == before
    accepted = staff.post(f"/v1/people/{majo}/resend-credentials", {"reason": "olvidó la contraseña"})
    assert accepted.status_code == 202, accepted.text
