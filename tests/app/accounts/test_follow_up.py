"""The follow-up through the whole service: people sign in (the emulator's control plane, as at
accounts.google.com) at different times; the sign-in check records them with one listing call;
reminders go exactly to those who did not, each with a fresh password that works while the old
one does not; the cap holds, then the person is flagged; suspended and excluded people get
nothing; a retried reminder job sends nothing twice (the sender's mailbox, counted)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import httpx
import pytest
from sqlalchemy import select

from app.accounts.first_signin import run_scheduled_check
from app.accounts.follow_up import FollowUpPolicy, FollowUpState, follow_up, run_scheduled_follow_up
from app.db.models import AuditEvent
from app.db.states import JobKind
from app.jobs.outbox import enqueue
from app.runtime.worker import WorkerPool
from app.staff.tokens import Scope
from tests.support.events import enrolled, person
from tests.support.harness import Harness, HarnessFactory
from tests.support.mailboxes import SentMail, emailed_password, sent_mail
from tests.support.service_process import wait_until
from tests.support.staff_api import api_client

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
LIST = "directory.users.list"
DOCUMENTS = {"ana": "1066000001", "beto": "1066000002", "caro": "1066000003", "dani": "1066000004",
             "eva": "1066000005"}  # fmt: skip


def address(name: str) -> str:
    return f"{DOCUMENTS[name]}@misena.edu.co"


def key(name: str) -> str:
    return f"CC:{DOCUMENTS[name]}"


def personal(name: str) -> str:
    return f"{name}@example.com"


@pytest.fixture
def harness(make_harness: HarnessFactory) -> Harness:
    return make_harness(reminder_after_days=7, reminder_max=2, reminder_interval_days=5)


def enroll_all(harness: Harness) -> dict[str, str]:
    """Everyone gets an account and the credentials email; Dani is then suspended by IT staff
    and Eva excluded from management. Returns each emailed password."""
    passwords = {}
    for name, document in DOCUMENTS.items():
        harness.deliver(enrolled(T0, who=person(document, "CC", personal_email=personal(name))))
        passwords[name] = emailed_password(harness.mail_to(personal(name))[0])
    staff = harness.services.staff
    staff.suspend(harness.person(key("dani")).id, "cli:mesa", "uso indebido")
    staff.exclude(harness.person(key("eva")).id, "cli:mesa", "cuenta manejada a mano")
    harness.drain()
    return passwords


def turn(harness: Harness) -> list[str]:
    """What the worker's signin-checker loop does in a turn: the check, then the follow-up;
    then the queue is run. Returns who was reminded."""
    services, now = harness.services, harness.clock()
    run_scheduled_check(services.sessions, services.directory, now, timedelta(hours=1))
    policy = FollowUpPolicy.of(services.settings)
    result = run_scheduled_follow_up(services.sessions, now, timedelta(hours=1), policy)
    assert result is not None
    harness.drain()
    names = {harness.person(key(n)).id: n for n in DOCUMENTS}
    return sorted(names[i] for i in result.reminded)


def reminders_to(harness: Harness, name: str) -> list[SentMail]:
    return [
        m
        for m in sent_mail(harness)
        if m.recipient == personal(name) and "Recordatorio" in m.message["Subject"]
    ]


def test_reminders_go_only_to_who_did_not_sign_in_with_a_fresh_password_then_the_flag(
    harness: Harness,
) -> None:
    passwords = enroll_all(harness)
    harness.clock.advance(days=1)
    harness.emulator.sign_in(address("ana"), passwords["ana"], new_password="Propia-ana-2026")
    harness.emulator.clear_counters()

    assert turn(harness) == [], "a day after the email nobody is due yet"
    assert harness.emulator.counters()["calls"] == {LIST: {"200": 1}}, "the check: one listing, nothing else"
    assert harness.person(key("ana")).first_signed_in_at is not None

    harness.clock.advance(days=6)
    harness.emulator.clear_counters()
    assert turn(harness) == ["beto", "caro"]
    calls = harness.emulator.counters()["calls"]
    assert calls[LIST] == {"200": 1}
    assert calls["directory.users.update"] == {"200": 2}, "one fresh password set per reminder"

    for name in ("beto", "caro"):
        (mail,) = reminders_to(harness, name)
        username, fresh = mail.credentials()
        assert username == address(name)
        assert fresh != passwords[name]
        assert not harness.emulator.password_valid(address(name), passwords[name]), (
            "the old one stops working"
        )
        assert harness.emulator.password_valid(address(name), fresh)
        body = mail.message.get_body(preferencelist=("plain",))
        assert isinstance(body, EmailMessage)
        assert "018000 910270" in body.get_content(), "the help line, as in the first email"
    for name in ("ana", "dani", "eva"):
        assert reminders_to(harness, name) == [], f"{name} gets no reminder"
    with pytest.raises(httpx.HTTPStatusError) as refused:
        harness.emulator.sign_in(address("beto"), passwords["beto"])
    assert refused.value.response.status_code == 401
    beto_fresh = reminders_to(harness, "beto")[0].credentials()[1]
    harness.emulator.sign_in(address("beto"), beto_fresh, new_password="Propia-beto-2026")

    harness.clock.advance(days=5)
    assert turn(harness) == ["caro"], "Beto signed in with the reminder's password; Caro's second round"
    assert len(reminders_to(harness, "beto")) == 1
    assert len(reminders_to(harness, "caro")) == 2

    harness.clock.advance(days=4)
    assert turn(harness) == [], "inside the interval"
    harness.clock.advance(days=1)
    assert turn(harness) == [], "the cap: two reminders, then the help desk"
    caro = harness.person(key("caro"))
    assert caro.flagged_at == harness.clock()
    assert "2 reminders" in str(caro.flag_reason)

    harness.clock.advance(days=30)
    assert turn(harness) == []
    assert len(reminders_to(harness, "caro")) == 2
    assert harness.person(key("caro")).flagged_at == caro.flagged_at, "flagged once"
    with harness.services.sessions() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.actor == "misena",
                       AuditEvent.action.in_(("person.reminder", "person.flagged")))))  # fmt: skip
    assert sorted(actions) == ["person.flagged", "person.reminder", "person.reminder", "person.reminder"]

    check_pictures(harness, caro.flag_reason)


def check_pictures(harness: Harness, flag_reason: str | None) -> None:
    """The follow-up as ``GET /v1/people/{id}`` shows it at the end of the story above."""
    caro = harness.person(key("caro"))
    reader = api_client(harness, Scope.ACCOUNTS_READ)
    shown = reader.get(f"/v1/people/{caro.id}").json()["follow_up"]
    assert (shown["state"], shown["reminders_sent"]) == (FollowUpState.FLAGGED, 2)
    assert shown["flag_reason"] == flag_reason
    beto = reader.get(f"/v1/people/{harness.person(key('beto')).id}").json()["follow_up"]
    assert (beto["state"], beto["reminders_sent"], beto["next_step_at"]) == (FollowUpState.SIGNED_IN, 1, None)
    dani = reader.get(f"/v1/people/{harness.person(key('dani')).id}").json()["follow_up"]
    assert dani["reminders_sent"] == 0


def test_a_retried_reminder_job_sends_nothing_twice(harness: Harness) -> None:
    enroll_all(harness)
    harness.clock.advance(days=7)
    assert turn(harness) == ["ana", "beto", "caro"]
    before = len(sent_mail(harness))
    caro = harness.person(key("caro")).id

    with harness.services.sessions.begin() as session:  # the job again, as after a lost outcome
        enqueue(session, JobKind.DELIVER, caro, now=harness.clock())
    assert harness.drain() == 1
    assert (
        follow_up(
            harness.services.sessions, harness.clock(), FollowUpPolicy.of(harness.services.settings)
        ).reminded
        == []
    )
    harness.drain()

    assert len(sent_mail(harness)) == before, "the round's delivery is already sent: no second email"
    assert len(reminders_to(harness, "caro")) == 1


def test_the_turn_is_claimed_once_per_interval(harness: Harness) -> None:
    enroll_all(harness)
    harness.clock.advance(days=7)
    policy = FollowUpPolicy.of(harness.services.settings)
    sessions, now = harness.services.sessions, harness.clock()

    first = run_scheduled_follow_up(sessions, now, timedelta(hours=1), policy)
    second = run_scheduled_follow_up(sessions, now, timedelta(hours=1), policy)

    assert first is not None
    assert len(first.reminded) == 3
    assert second is None, "another replica's turn within the interval does nothing"


def test_a_reminder_still_waiting_when_the_person_signs_in_is_dropped(harness: Harness) -> None:
    """The reminder is queued; before its job runs (as when it waits hours for a sender) the
    person signs in and a check sees it — the password they chose is kept, no email goes out."""
    passwords = enroll_all(harness)
    harness.clock.advance(days=7)
    services = harness.services
    policy = FollowUpPolicy.of(services.settings)
    assert harness.person(key("beto")).id in follow_up(services.sessions, harness.clock(), policy).reminded
    harness.emulator.sign_in(address("beto"), passwords["beto"], new_password="Propia-beto-2026")
    run_scheduled_check(services.sessions, services.directory, harness.clock(), timedelta(hours=1))
    before = len(sent_mail(harness))

    harness.drain()

    assert reminders_to(harness, "beto") == []
    assert harness.emulator.password_valid(address("beto"), "Propia-beto-2026")
    dropped = [d for d in harness.deliveries(key("beto")) if d.reason == "reminder"]
    assert [d.status for d in dropped] == ["superseded"]
    assert len(sent_mail(harness)) == before + 2, "Ana's and Caro's reminders went out"


def test_the_worker_pool_reminds_on_its_own(make_harness: HarnessFactory) -> None:
    """Wired: the pool's signin-checker loop runs the check and then the follow-up, and its
    workers send the reminder — nothing driven by the test but the clock."""
    harness = make_harness(worker_threads=1, worker_poll_seconds=0.05, reminder_after_days=7)
    harness.deliver(enrolled(T0, who=person(DOCUMENTS["caro"], "CC", personal_email=personal("caro"))))
    harness.clock.advance(days=7)
    pool = WorkerPool(harness.services)
    pool.start()
    try:
        assert wait_until(lambda: len(reminders_to(harness, "caro")) == 1, 20)
    finally:
        pool.stop()
    assert len(harness.deliveries(key("caro"))) == 2
