"""An account deleted in Google by an admin: restored while Google keeps it (same id, same
password, no second email), otherwise created again *with* fresh credentials that sign in —
audited, logged with the address masked, and shown to IT staff. And a new enrolment leaves no
idle credentials job behind (they are sent inline; the job only covers a failed send).

Everything through the public interfaces: signed webhooks in, the worker drained, Google read
back (and the account deleted, as an admin would) with the real client library.
"""

from __future__ import annotations

import base64
import email
import email.policy
import io
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from googleapiclient.errors import HttpError
from sqlalchemy import select

from app.db.models import AuditEvent, Job
from app.logging_setup import configure_logging
from app.runtime.services import build_services
from app.runtime.worker import Worker
from app.staff.tokens import Scope
from tests.support.events import enrolled, person, person_updated, status_changed
from tests.support.google import SCOPE, google_service
from tests.support.harness import SENDER, Harness
from tests.support.mailboxes import emailed_password
from tests.support.staff_client import staff_client

KEY = "TI:1098765432"
ADDRESS = "1098765432@misena.edu.co"
PERSONAL = "majo.pena@example.com"
GROUP = "ficha-2758392@misena.edu.co"
#: Gmail refuses the first send (the reconcile's inline one); the queued job's goes through.
REFUSED_ONCE = {
    "method": "gmail.users.messages.send", "status": 400, "reason": "invalidArgument",
    "message": "Invalid To header", "times": 1,
}  # fmt: skip
APPRENTICES = "/Aprendices/Distrito Capital"
GRADUATES = "/Egresados/Distrito Capital"
RETENTION = 20 * 86_400.0
#: Variations on the paths the other tests prove on both stores: SQLite is enough for them.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


_ADMINS: dict[int, Any] = {}


def admin(harness: Harness) -> Any:
    """The real client as the super admin (one per harness: building one costs a key load)."""
    key = id(harness)
    if key not in _ADMINS:
        _ADMINS.clear()
        _ADMINS[key] = google_service(harness.emulator_server, harness.key_info, "admin", "directory_v1")
    return _ADMINS[key]


def read_account(harness: Harness) -> dict[str, Any] | None:
    """``users.get`` of the person's address as Google answers it (``None`` on 404)."""
    try:
        user: dict[str, Any] = admin(harness).users().get(userKey=ADDRESS, projection="full").execute()
    except HttpError as exc:
        if exc.resp.status == 404:
            return None
        raise
    return user


def delete_in_google(harness: Harness, key: str = ADDRESS) -> None:
    """What an admin does in the console (misena itself never deletes an account)."""
    admin(harness).users().delete(userKey=key).execute()


def later_worker_process(harness: Harness) -> None:
    """The reconcile that meets the deletion runs in a worker process of its own, as it would
    days later: the process that created the account would read a 404 on an account it made
    moments ago as Google's propagation delay, and wait it out first."""
    old = harness.services
    harness.services = build_services(old.settings, engine=old.engine, clock=harness.clock)


def emails(harness: Harness, *senders: str) -> list[str]:
    """The passwords emailed to the person, oldest first, from every sender's sent mail."""
    found: list[str] = []
    for sender in senders or (SENDER,):
        gmail = google_service(
            harness.emulator_server, harness.key_info, "gmail", "v1",
            subject=sender, scopes=[SCOPE + "gmail.readonly"],
        )  # fmt: skip
        listed = gmail.users().messages().list(userId="me", q=f"to:{PERSONAL}").execute()
        for ref in reversed(listed.get("messages", [])):
            raw = gmail.users().messages().get(userId="me", id=ref["id"], format="raw").execute()["raw"]
            message = email.message_from_bytes(
                base64.urlsafe_b64decode(raw + "=="), policy=email.policy.default
            )
            assert isinstance(message, EmailMessage)
            found.append(emailed_password(message))
    return found


def audit(harness: Harness, action: str) -> list[AuditEvent]:
    with harness.services.sessions() as session:
        rows = list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        session.expunge_all()
        return rows


def delivery_jobs(harness: Harness) -> list[tuple[str, str | None]]:
    with harness.services.sessions() as session:
        jobs = session.scalars(select(Job).where(Job.kind == "deliver_credentials").order_by(Job.id))
        return [(job.state, job.last_error) for job in jobs]


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    captured = io.StringIO()
    configure_logging("INFO", stream=captured)
    yield captured
    configure_logging()


def enrol(harness: Harness) -> tuple[str, str]:
    """The apprentice enrols: the account's Google id and the password they were emailed."""
    start = harness.clock() - timedelta(days=2)
    harness.deliver(enrolled(start))
    user = read_account(harness)
    assert user is not None
    [password] = emails(harness)
    return user["id"], password


def test_a_deleted_account_is_restored_with_its_id_password_and_groups(
    harness: Harness, logs: io.StringIO
) -> None:
    user_id, password = enrol(harness)
    delete_in_google(harness)
    later_worker_process(harness)

    harness.deliver(person_updated(harness.clock() - timedelta(days=1)))

    restored = read_account(harness)
    assert restored is not None
    assert (restored["id"], restored["orgUnitPath"], restored["suspended"]) == (user_id, APPRENTICES, False)
    assert harness.emulator.password_valid(ADDRESS, password), "the password they have still works"
    assert emails(harness) == [password], "no second email"
    assert harness.members(GROUP) == {ADDRESS: "MEMBER"}
    assert harness.emulator.calls("directory.users.undelete", 204) == 1
    assert harness.emulator.calls("directory.users.insert", 200) == 1
    [entry] = audit(harness, "account.restored")
    assert (entry.actor, entry.target) == ("misena", ADDRESS)
    assert entry.details["google_user_id"] == user_id
    assert entry.details["org_unit_path"] == APPRENTICES
    majo = harness.person(KEY)
    assert majo.account_status == "active"
    assert majo.status_reason is not None
    assert "restored" in majo.status_reason
    shown = staff_client(harness, Scope.ACCOUNTS_READ).get(f"/v1/people/{majo.id}").json()
    assert shown["status_reason"] == majo.status_reason
    assert [a["action"] for a in shown["audit"]] == ["account.restored"]
    logged = logs.getvalue()
    assert "account_restored" in logged
    assert ADDRESS not in logged, "the address is masked in logs"


@SQLITE_ONLY
def test_the_restored_account_follows_what_changed_while_it_was_deleted(harness: Harness) -> None:
    """Restored straight into the org unit of now (a graduate's), then the normal plan goes on."""
    user_id, password = enrol(harness)
    delete_in_google(harness)
    later_worker_process(harness)
    yesterday = harness.clock() - timedelta(days=1)

    harness.deliver(
        status_changed(yesterday, "CERTIFICADO"),
        person_updated(yesterday + timedelta(hours=1), who=person(first_names="María Josefa")),
    )

    restored = read_account(harness)
    assert restored is not None
    assert (restored["id"], restored["orgUnitPath"]) == (user_id, GRADUATES)
    assert restored["name"]["givenName"] == "María Josefa"
    undeletes = [r["body"] for r in harness.emulator.requests() if r["method"] == "directory.users.undelete"]
    assert undeletes == [{"orgUnitPath": GRADUATES}]
    assert emails(harness) == [password]
    assert harness.members(GROUP) == {}, "a graduate leaves the ficha group, restored or not"


@SQLITE_ONLY
def test_a_restored_account_is_suspended_when_its_grace_period_ended_meanwhile(harness: Harness) -> None:
    user_id, _ = enrol(harness)
    harness.deliver(status_changed(harness.clock() - timedelta(days=1), "RETIRO_VOLUNTARIO"))
    delete_in_google(harness)
    later_worker_process(harness)

    harness.clock.advance(days=31)
    assert harness.sweep() == 1
    harness.drain()

    restored = read_account(harness)
    assert restored is not None
    assert (restored["id"], restored["suspended"]) == (user_id, True)
    majo = harness.person(KEY)
    assert (majo.account_status, majo.suspended_by_misena) == ("suspended", True)
    assert len(audit(harness, "account.restored")) == 1


def test_a_purged_account_is_recreated_with_fresh_credentials_that_sign_in(
    harness: Harness, logs: io.StringIO
) -> None:
    old_id, old_password = enrol(harness)
    delete_in_google(harness)
    harness.emulator.advance_clock(RETENTION)  # Google purged it
    later_worker_process(harness)

    harness.deliver(person_updated(harness.clock() - timedelta(days=1)))

    account = read_account(harness)
    assert account is not None
    assert account["id"] != old_id
    assert account["orgUnitPath"] == APPRENTICES
    first, fresh = emails(harness)
    assert first == old_password
    assert harness.emulator.password_valid(ADDRESS, fresh), "the new password signs in"
    assert not harness.emulator.password_valid(ADDRESS, old_password)
    assert harness.members(GROUP) == {ADDRESS: "MEMBER"}, "the new account joins its ficha group"
    assert [(d.reason, d.status) for d in harness.deliveries(KEY)] == [
        ("new_account", "sent"),
        ("account_recreated", "sent"),
    ]
    [entry] = audit(harness, "account.recreated")
    assert entry.actor == "misena"
    assert entry.details["previous_google_user_id"] == old_id
    assert entry.details["google_user_id"] == account["id"]
    assert entry.details["created_by_misena"] is True
    majo = harness.person(KEY)
    assert (majo.account_status, majo.google_user_id) == ("active", account["id"])
    assert majo.status_reason is not None
    assert "recreated" in majo.status_reason
    assert delivery_jobs(harness) == [], "sent inline: no job left with nothing to do"
    logged = logs.getvalue()
    assert "account_recreated" in logged
    assert ADDRESS not in logged


@SQLITE_ONLY
def test_a_purged_account_of_a_person_who_should_be_suspended_is_not_recreated_and_says_why(
    harness: Harness,
) -> None:
    enrol(harness)
    harness.deliver(status_changed(harness.clock() - timedelta(days=1), "RETIRO_VOLUNTARIO"))
    delete_in_google(harness)
    harness.emulator.advance_clock(RETENTION)
    later_worker_process(harness)

    harness.clock.advance(days=31)
    assert harness.sweep() == 1
    harness.drain()

    assert read_account(harness) is None, "no account is created only to be suspended"
    assert harness.emulator.calls("directory.users.insert", 200) == 1
    majo = harness.person(KEY)
    assert majo.status_reason is not None
    assert majo.status_reason.startswith("deleted in Google and no longer restorable; not recreated")
    assert len(emails(harness)) == 1, "one email: the first account's"


@SQLITE_ONLY
def test_an_account_recreated_by_an_attempt_whose_answer_was_lost_still_gets_credentials(
    harness: Harness,
) -> None:
    """The recreating insert reached Google but its answer never came back (here: the account
    is simply there, as that attempt left it, with a password nobody was told). The next run
    adopts it — and the person must still receive a password that works."""
    old_id, old_password = enrol(harness)
    delete_in_google(harness)
    harness.emulator.advance_clock(RETENTION)
    lost = harness.google_user(ADDRESS)
    assert lost is None
    left_behind = {
        "primaryEmail": ADDRESS,
        "name": {"givenName": "María José", "familyName": "Peña de la Torre"},
        "password": "Nadie-La-Conoce-2026",
        "orgUnitPath": APPRENTICES,
        "externalIds": [{"type": "organization", "value": "TI-1098765432"}],
    }
    created = admin(harness).users().insert(body=left_behind).execute()
    later_worker_process(harness)

    harness.deliver(person_updated(harness.clock() - timedelta(days=1)))

    account = read_account(harness)
    assert account is not None
    assert account["id"] == created["id"] != old_id
    _, fresh = emails(harness)
    assert harness.emulator.password_valid(ADDRESS, fresh)
    [entry] = audit(harness, "account.recreated")
    assert entry.details["created_by_misena"] is False
    inserted = harness.emulator.calls("directory.users.insert", 200)
    assert inserted == 2, "misena's first account and the one left behind: no third"
    assert old_password != fresh


def test_a_restored_account_whose_credentials_never_went_out_gets_them(harness: Harness) -> None:
    harness.emulator.set_faults([REFUSED_ONCE])
    assert harness.post(enrolled(harness.clock() - timedelta(days=2))).status_code == 202
    assert Worker(harness.services, "w").run_once(), "the reconcile: created, the send refused"
    assert [d.status for d in harness.deliveries(KEY)] == ["pending"]
    user = read_account(harness)
    assert user is not None
    delete_in_google(harness)  # before the delivery job could run
    later_worker_process(harness)

    harness.deliver(person_updated(harness.clock() - timedelta(days=1)))

    restored = read_account(harness)
    assert restored is not None
    assert restored["id"] == user["id"]
    [password] = emails(harness)
    assert harness.emulator.password_valid(ADDRESS, password)
    assert [d.status for d in harness.deliveries(KEY)] == ["sent"]
    assert [e.details["google_user_id"] for e in audit(harness, "account.restored")] == [user["id"]]


def test_one_new_enrolment_leaves_no_idle_credentials_job(harness: Harness) -> None:
    enrol(harness)

    assert delivery_jobs(harness) == []
    with harness.services.sessions() as session:
        assert [(j.kind, j.state) for j in session.scalars(select(Job))] == [("reconcile", "done")]


@SQLITE_ONLY
def test_a_failed_inline_send_keeps_its_job_which_sends(harness: Harness) -> None:
    """The outbox guarantee: the job queued with the delivery request stays when the inline
    send fails, runs as soon as the reconcile ends, and sends once."""
    harness.emulator.set_faults([REFUSED_ONCE])

    harness.deliver(enrolled(harness.clock() - timedelta(days=2)))

    [password] = emails(harness)
    assert harness.emulator.password_valid(ADDRESS, password)
    assert [(d.reason, d.status) for d in harness.deliveries(KEY)] == [("new_account", "sent")]
    assert [state for state, _ in delivery_jobs(harness)] == ["done"], "it had work: it did it"
    assert harness.emulator.calls("gmail.users.messages.send", 200) == 1


@SQLITE_ONLY
def test_credentials_resent_to_a_deleted_account_wait_for_its_restore(harness: Harness) -> None:
    """IT staff resend credentials after an admin deleted the account: the delivery job finds
    the account gone, queues the reconcile that restores it, and the email goes out after —
    the job is not dead-lettered and the request is not lost."""
    google_id, first = enrol(harness)
    delete_in_google(harness)
    later_worker_process(harness)
    person_id = harness.person(KEY).id
    harness.services.staff.resend_credentials(person_id, "cli:mesa", "olvidó la contraseña")
    harness.drain()
    restored = read_account(harness)
    assert restored is not None
    assert restored["id"] == google_id
    passwords = emails(harness)
    assert len(passwords) == 2
    assert harness.emulator.password_valid(ADDRESS, passwords[-1])
    assert not harness.emulator.password_valid(ADDRESS, first)
    assert [state for state, _ in delivery_jobs(harness)] == ["done", "done"]
