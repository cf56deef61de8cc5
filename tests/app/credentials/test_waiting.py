"""Credentials that cannot go out now wait, visibly and for free; credentials Google refuses for
good are dead-lettered with a reason IT staff can act on — through the whole service."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import httpx

from app.staff.tokens import Scope
from tests.support.harness import SENDER, Harness, HarnessFactory, enrollment
from tests.support.mailboxes import (
    assert_passwords_sign_in,
    deliveries,
    jobs,
    seed_sender,
    sent_mail,
)
from tests.support.staff_client import staff_client

SECOND_SENDER = "notificaciones2@misena.edu.co"


def enrol(harness: Harness, *numbers: int) -> None:
    for n in numbers:
        event = enrollment(str(50_000_000 + n), document_type="CC", email_address=f"persona{n}@example.com")
        assert harness.post(event).status_code == 202
    harness.drain()


def move_clocks(harness: Harness, delta: timedelta) -> None:
    """Google's clock and ours, together (they are the same clock in production)."""
    harness.emulator.advance_clock(delta.total_seconds())
    harness.clock.advance(seconds=delta.total_seconds())


def test_gmails_daily_limit_answer_pauses_that_sender_and_the_delivery_waits(
    make_harness: HarnessFactory,
) -> None:
    harness = make_harness(mail_senders=(SENDER, SECOND_SENDER), mail_sender_daily_budget=10)
    seed_sender(harness, SECOND_SENDER)
    harness.emulator.configure(gmail_messages_per_day=2)  # Google's limit below our budget
    enrol(harness, 1, 2, 3, 4, 5)

    assert len(sent_mail(harness)) == 4
    assert harness.emulator.calls("gmail.users.messages.send", 429) == 2, "each sender asked once"
    [waiting] = [d for d in deliveries(harness) if d.status != "sent"]
    assert waiting.status == "waiting"
    assert waiting.next_attempt_at is not None
    wait = waiting.next_attempt_at - harness.clock()
    assert timedelta(hours=23) < wait <= timedelta(hours=24), "until Gmail's window frees a slot"
    assert "daily sending limit" in (waiting.last_error or "")
    [job] = [j for j in jobs(harness) if j.state == "pending"]
    assert job.attempts == 0, "waiting spent no attempt"

    move_clocks(harness, timedelta(hours=2))
    harness.drain()
    assert harness.emulator.calls("gmail.users.messages.send", 429) == 2, "no sender asked again early"

    move_clocks(harness, timedelta(hours=22))
    harness.drain()
    mails = sent_mail(harness)
    assert len(mails) == 5
    assert_passwords_sign_in(harness, mails)
    assert {d.status for d in deliveries(harness)} == {"sent"}
    assert {(j.state, j.attempts) for j in jobs(harness)} == {("done", 1)}


def test_the_budget_follows_gmails_rolling_24_hours_across_midnight(make_harness: HarnessFactory) -> None:
    harness = make_harness(mail_sender_daily_budget=2)
    harness.emulator.configure(gmail_messages_per_day=2)
    now = harness.clock()
    evening = datetime.combine(now.date(), time(23), UTC)
    move_clocks(harness, (evening - now) % timedelta(days=1))  # the sends go out at 23:00 UTC
    enrol(harness, 1, 2)
    first_sends = harness.clock()
    enrol(harness, 3)
    assert [d.status for d in deliveries(harness)] == ["sent", "sent", "waiting"]

    move_clocks(harness, timedelta(hours=1, minutes=30))  # past midnight: a new UTC day
    assert harness.clock().date() > first_sends.date()
    harness.drain()
    assert deliveries(harness)[-1].status == "waiting", "a new UTC day frees nothing at Gmail"
    assert harness.emulator.calls("gmail.users.messages.send", 429) == 0, "so we do not try"

    move_clocks(harness, first_sends + timedelta(hours=24, seconds=5) - harness.clock())
    harness.drain()
    assert [d.status for d in deliveries(harness)] == ["sent", "sent", "sent"]
    assert harness.emulator.calls("gmail.users.messages.send", 429) == 0


def test_a_shortened_sender_window_frees_the_budget_when_it_ends(make_harness: HarnessFactory) -> None:
    """What the senders benchmark relies on: "a day" of seconds, on our side as on Gmail's."""
    harness = make_harness(mail_sender_daily_budget=1, mail_sender_window_seconds=60)
    harness.emulator.configure(gmail_messages_per_day=1, gmail_sending_window_seconds=60)
    enrol(harness, 1)
    first_send = harness.clock()
    enrol(harness, 2)
    [_, waiting] = deliveries(harness)
    assert waiting.status == "waiting"
    assert waiting.next_attempt_at == first_send + timedelta(seconds=60), "our window, not 24 hours"

    move_clocks(harness, timedelta(seconds=59))
    harness.drain()
    assert deliveries(harness)[-1].status == "waiting"
    move_clocks(harness, timedelta(seconds=1))
    harness.drain()
    assert [d.status for d in deliveries(harness)] == ["sent", "sent"]
    assert harness.emulator.calls("gmail.users.messages.send", 429) == 0, "never over Gmail's window"


def test_a_waiting_delivery_shows_its_estimate_in_the_api_and_the_metrics(
    make_harness: HarnessFactory,
) -> None:
    harness = make_harness(mail_sender_daily_budget=1)
    enrol(harness, 1, 2)
    staff = staff_client(harness, Scope.ACCOUNTS_READ)
    person = deliveries(harness)[-1].person_id

    [delivery] = staff.get(f"/v1/people/{person}").json()["deliveries"]
    assert delivery["status"] == "waiting"
    estimate = datetime.fromisoformat(delivery["next_attempt_at"])
    assert timedelta(hours=23) < estimate - harness.clock() <= timedelta(hours=24)
    assert delivery["last_error"].startswith("Waiting for sender capacity")
    assert delivery["attempts"] == 0
    metrics = httpx.get(harness.base_url + "metrics").text
    assert 'misena_credentials{state="waiting_capacity"} 1.0' in metrics

    move_clocks(harness, timedelta(hours=24, seconds=5))
    harness.drain()
    [delivery] = staff.get(f"/v1/people/{person}").json()["deliveries"]
    assert (delivery["status"], delivery["next_attempt_at"], delivery["attempts"]) == ("sent", None, 1)
    assert 'misena_credentials{state="waiting_capacity"} 0.0' in httpx.get(harness.base_url + "metrics").text


def test_a_refused_personal_email_is_dead_lettered_with_a_reason_staff_can_act_on(
    harness: Harness,
) -> None:
    harness.emulator.set_faults(
        [
            {
                "method": "gmail.users.messages.send",
                "status": 400,
                "reason": "invalidArgument",
                "message": "Invalid To header",
                "rate": 1.0,
            }
        ]
    )
    enrol(harness, 1)

    [delivery] = deliveries(harness)
    assert delivery.status == "failed"
    reason = delivery.last_error or ""
    assert "400 invalidArgument: Invalid To header" in reason
    assert "correct it there, then resend the credentials" in reason
    assert "persona1" not in reason, "no personal address in the reason"
    [job] = jobs(harness)
    assert (job.state, job.last_error) == ("dead", reason)
    assert harness.emulator.calls("gmail.users.messages.send", 400) == 2, "the reconcile's, then the job's"

    harness.emulator.clear_faults()  # the address was corrected in Sofia Plus
    harness.services.staff.resend_credentials(delivery.person_id, "test", "correo corregido")
    harness.drain()
    assert [d.status for d in deliveries(harness)] == ["failed", "sent"]
    assert_passwords_sign_in(harness, sent_mail(harness))
