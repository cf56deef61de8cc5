"""A staff reason as long as the API allows still fits where misena quotes it.

"suspended by IT staff: " + a 500-character reason did not fit ``status_reason`` (500): on
PostgreSQL every reconcile of that person failed until the job was dead-lettered.
"""

from __future__ import annotations

from datetime import timedelta

from tests.support.events import enrolled
from tests.support.harness import Harness

KEY = "TI:1098765432"


def test_a_500_character_staff_reason_is_quoted_cut_and_the_reconcile_succeeds(harness: Harness) -> None:
    harness.deliver(enrolled(harness.clock() - timedelta(days=1)))
    person_id = harness.person(KEY).id
    reason = "uso indebido reportado por la coordinación académica " * 10
    harness.services.staff.suspend(person_id, "cli:mesa", reason[:500])
    harness.drain()
    person = harness.person(KEY)
    assert harness.services.queue.counts()["dead"] == 0
    assert person.account_status == "suspended"
    assert person.status_reason is not None
    assert person.status_reason.startswith("suspended by IT staff: uso indebido")
    assert len(person.status_reason) == 500
    assert person.status_reason.endswith("…")
    account = harness.get_user("1098765432@misena.edu.co")
    assert account is not None
    assert account["suspended"] is True
