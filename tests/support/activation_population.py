"""A known population for the activation report's suites (API and CLI): six apprentices in three
fichas, two centros and two regionals, taken through the follow-up with the emulator — signed in,
pending, reminded, flagged, a delivery refused for good, and one with no personal email."""

from __future__ import annotations

from datetime import UTC, datetime

from app.accounts.first_signin import check_first_sign_ins
from app.accounts.follow_up import FollowUpPolicy, follow_up
from tests.support.events import enrolled, person
from tests.support.harness import Harness
from tests.support.mailboxes import emailed_password, sent_mail

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
BOGOTA = {"code": "11", "name": "Distrito Capital"}
ANTIOQUIA = {"code": "05", "name": "Antioquia"}
#: name → (document, ficha, centro, regional, personal email)
PEOPLE = {
    "ana": ("1077000001", "2758392", {"code": "9229", "name": "Centro de Servicios Financieros"}, BOGOTA),
    "beto": ("1077000002", "2758392", {"code": "9229", "name": "Centro de Servicios Financieros"}, BOGOTA),
    "caro": ("1077000003", "2800001", {"code": "9301", "name": "Centro de Gestión Industrial"}, BOGOTA),
    "dani": ("1077000004", "2800001", {"code": "9301", "name": "Centro de Gestión Industrial"}, BOGOTA),
    "eva": ("1077000005", "2900001", {"code": "9501", "name": "Centro de Comercio"}, ANTIOQUIA),
    "fede": ("1077000006", "2900001", {"code": "9501", "name": "Centro de Comercio"}, ANTIOQUIA),
}
REFUSED = {"method": "gmail.users.messages.send", "status": 400, "reason": "invalidArgument",
           "message": "Invalid To header", "times": 2}  # fmt: skip
#: the report by ficha this story ends in: people, delivered, signed_in, pending, reminded,
#: flagged, delivery_failed
BY_FICHA = {
    "2758392": (2, 2, 1, 1, 1, 1, 0),
    "2800001": (2, 1, 0, 1, 1, 1, 1),
    "2900001": (2, 1, 1, 0, 1, 0, 0),
}


def address(name: str) -> str:
    return f"{PEOPLE[name][0]}@misena.edu.co"


def build_population(harness: Harness) -> None:
    """Needs a harness with one reminder at most (``reminder_max=1``), seven days after the
    email, five more before the flag."""
    passwords = {}
    for name, (document, ficha, centro, regional) in PEOPLE.items():
        email = None if name == "fede" else f"{name}@example.com"
        if name == "dani":
            harness.emulator.set_faults([REFUSED])
        event = enrolled(T0, ficha=ficha, who=person(document, "CC", personal_email=email),
                         centro=centro, regional=regional)  # fmt: skip
        harness.deliver(event)
        if name == "dani":  # the refusal's one retry, later, is refused for good
            harness.clock.advance(hours=1)
            harness.drain()
            harness.emulator.clear_faults()
        elif email:
            passwords[name] = emailed_password(harness.mail_to(email)[0])
    harness.emulator.sign_in(address("ana"), passwords["ana"], new_password="Propia-ana-2026")
    policy = FollowUpPolicy.of(harness.services.settings)
    harness.clock.advance(days=7)
    run_follow_up(harness, policy)  # beto, caro and eva reminded
    (reminder,) = [
        m
        for m in sent_mail(harness)
        if m.recipient == "eva@example.com" and "Recordatorio" in m.message["Subject"]
    ]
    harness.emulator.sign_in(address("eva"), reminder.credentials()[1], new_password="Propia-eva-2026")
    harness.clock.advance(days=5)
    run_follow_up(harness, policy)  # beto and caro flagged


def run_follow_up(harness: Harness, policy: FollowUpPolicy) -> None:
    services = harness.services
    check_first_sign_ins(services.sessions, services.directory)
    follow_up(services.sessions, harness.clock(), policy)
    harness.drain()
