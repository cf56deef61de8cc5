"""Gmail's limits as faults, through the whole service: credentials wait, none is parked for a
day, dropped, dead-lettered or charged an attempt for waiting.

* a burst of ``429 Retry-After: 1`` on ``messages.send`` while enrolments arrive: every email
  goes out within a minute of the burst ending (measured on Gmail's side, from the time the
  emulator took each message);
* a sender pool too small for its backlog (2 senders, 5 a day each, 30 people): the backlog drains
  over the following days (the emulator's and the service's clocks moved 24 h at a time) with
  no delivery charged an attempt for waiting;
* two workers meeting a sender with no row yet at the same moment, on PostgreSQL: no unique-key
  violation, no attempt spent; and the last slot of a budget goes to exactly one of them.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from app.clock import system_clock
from app.runtime.services import build_services
from app.runtime.worker import Worker
from tests.support.harness import SENDER, HarnessFactory, enrollment, service_settings
from tests.support.mailboxes import (
    assert_passwords_sign_in,
    deliveries,
    jobs,
    seed_sender,
    sent_mail,
    worker_threads,
)

#: The issue saw a 30 s burst. 22 s is shorter but still outlasts one send's in-place retries
#: (about 17 s of backoff), which is what turned a burst into a day's wait: a shorter burst
#: would be ridden out by those retries and prove nothing.
BURST_SECONDS = 22.0
PEOPLE = 20
SECOND_SENDER = "notificaciones2@misena.edu.co"


def person(n: int) -> dict[str, object]:
    return enrollment(str(40_000_000 + n), document_type="CC", email_address=f"aprendiz{n}@example.com")


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # Google's fault: one store
def test_a_gmail_429_burst_delays_credentials_by_seconds_not_a_day(make_harness: HarnessFactory) -> None:
    # The rest is capped at 10 s (the default 30 s bounds the delay after a burst at 30 s; the
    # shorter cap only keeps the suite fast).
    # The machine's clock: the burst, the senders' rests and the deferred jobs run in real seconds.
    harness = make_harness(clock=system_clock, worker_poll_seconds=0.1, mail_sender_max_rest_seconds=10.0)
    harness.emulator.set_faults(
        [
            {
                "method": "gmail.users.messages.send",
                "status": 429,
                "reason": "rateLimitExceeded",
                "message": "Rate Limit Exceeded",
                "rate": 1.0,
                "retry_after": 1,
            }
        ]
    )
    with worker_threads(harness, 2):
        started = time.monotonic()
        for n in range(PEOPLE):  # the enrolments arrive during the burst
            assert harness.post(person(n)).status_code == 202
        time.sleep(max(BURST_SECONDS - (time.monotonic() - started), 0.0))
        harness.emulator.clear_faults()
        burst_end = datetime.now(UTC)
        refused = harness.emulator.calls("gmail.users.messages.send", 429)
        deadline = time.monotonic() + 75
        while harness.emulator.calls("gmail.users.messages.send", 200) < PEOPLE:
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)

    mails = sent_mail(harness)
    assert refused > 0, "the burst refused the sends it saw"
    assert sorted(m.recipient for m in mails) == sorted(f"aprendiz{n}@example.com" for n in range(PEOPLE))
    latest = max(mail.at for mail in mails)
    # internalDate has whole seconds: allow the one lost to truncation.
    assert latest - burst_end <= timedelta(seconds=60), f"last email {latest - burst_end} after the burst"
    assert_passwords_sign_in(harness, mails)
    assert [j.state for j in jobs(harness)].count("dead") == 0
    assert {d.status for d in deliveries(harness)} == {"sent"}


def test_a_small_pool_drains_a_long_backlog_over_days_without_spending_attempts(
    make_harness: HarnessFactory,
) -> None:
    harness = make_harness(
        mail_senders=(SENDER, SECOND_SENDER), mail_sender_daily_budget=5, google_creates_per_second=50.0
    )
    harness.emulator.configure(user_creates_per_second=60)  # Directory quota is not the point here
    seed_sender(harness, SECOND_SENDER)
    for n in range(30):
        assert harness.post(person(n)).status_code == 202
    harness.drain()

    assert harness.emulator.calls("gmail.users.messages.send", 200) == 10, "two senders, five a day"
    waiting = [d for d in deliveries(harness) if d.status == "waiting"]
    assert len(waiting) == 20
    assert all(d.next_attempt_at is not None for d in waiting)
    first_day = harness.clock() + timedelta(hours=24)
    estimates = sorted(d.next_attempt_at for d in waiting if d.next_attempt_at is not None)
    assert estimates[0] <= first_day < estimates[-1], "the second ten wait for the second day"
    assert all(j.attempts == 0 for j in jobs(harness) if j.state == "pending"), "waiting is free"

    for day in (1, 2):
        harness.emulator.advance_clock(86_400)
        harness.clock.advance(hours=24)
        harness.drain()
        assert harness.emulator.calls("gmail.users.messages.send", 200) == 10 + 10 * day

    mails = sent_mail(harness)
    assert len({m.recipient for m in mails}) == 30
    assert_passwords_sign_in(harness, mails)
    assert harness.emulator.calls("gmail.users.messages.send", 429) == 0, "we never bounced off Gmail"
    delivery_jobs = jobs(harness)
    assert [j.state for j in delivery_jobs].count("dead") == 0
    assert {j.state for j in delivery_jobs} == {"done"}
    assert {j.attempts for j in delivery_jobs} == {1}, "only the run that sent counted an attempt"
    assert {(d.status, d.attempts) for d in deliveries(harness)} == {("sent", 1)}


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_meeting_a_new_sender_at_once_collide_on_nothing(make_harness: HarnessFactory) -> None:
    """Each round a sender the database has never seen, and two workers (their own engines, as
    two processes) starting a delivery at the same instant."""
    harness = make_harness()
    for n in range(2):
        assert harness.post(person(n)).status_code == 202
    harness.drain()
    people = [d.person_id for d in deliveries(harness)]
    settings = harness.services.settings
    assert settings.google_key_file is not None
    assert settings.google_api_endpoint is not None

    rounds = 4
    for round_ in range(rounds):
        sender = f"ronda{round_}@misena.edu.co"
        seed_sender(harness, sender)
        budget = 1 if round_ == rounds - 1 else 10  # the last round: one slot for two workers
        round_settings = service_settings(
            settings.database_url,
            settings.google_key_file,
            settings.google_api_endpoint,
            mail_senders=(sender,),
            mail_sender_daily_budget=budget,
        )
        services = [build_services(round_settings, clock=harness.clock) for _ in range(2)]
        workers = [Worker(s, f"racer-{n}") for n, s in enumerate(services)]
        before = {j.id for j in jobs(harness)}
        sends_before = harness.emulator.calls("gmail.users.messages.send", 200)
        for person_id in people:
            harness.services.staff.resend_credentials(person_id, "test", "ronda")
        barrier = threading.Barrier(2)

        def race(worker: Worker, barrier: threading.Barrier) -> None:
            barrier.wait()
            worker.run_once()

        threads = [threading.Thread(target=race, args=(w, barrier)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        for service in services:
            service.engine.dispose()

        ran = [j for j in jobs(harness) if j.id not in before]
        assert len(ran) == 2
        errors = [j.last_error for j in ran if j.last_error and "capacity" not in j.last_error]
        assert errors == [], f"round {round_}: {errors}"
        assert all(j.attempts <= 1 for j in ran)
        mailed = harness.emulator.calls("gmail.users.messages.send", 200) - sends_before
        if budget == 1:
            assert mailed == 1, "the last slot went to exactly one worker"
            [waiting] = [j for j in ran if j.state == "pending"]
            assert waiting.attempts == 0, "the other waits, its attempt given back"
        else:
            assert mailed == 2, [(j.state, j.attempts, j.last_error) for j in ran]
            assert {j.state for j in ran} == {"done"}
            assert {j.attempts for j in ran} == {1}
