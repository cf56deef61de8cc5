"""Credentials that had nowhere to go are sent once Sofia Plus learns where.

An apprentice enrolled without a personal email got an account and a ``no_recipient``
delivery; when a later ``person.updated`` brought the address, nothing was ever sent — the
person held an account whose password nobody had.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.events import enrolled, person, person_updated
from tests.support.harness import Harness
from tests.support.service_process import PASSWORD_LINE

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
KEY = "CC:1055000001"
ADDRESS = "1055000001@misena.edu.co"


def test_an_email_that_arrives_later_receives_the_credentials(harness: Harness) -> None:
    nowhere = person("1055000001", "CC", personal_email=None)
    harness.deliver(enrolled(T0, who=nowhere))
    assert [d.status for d in harness.deliveries(KEY)] == ["no_recipient"]
    assert harness.person(KEY).account_status == "credentials_pending"

    found = person("1055000001", "CC", personal_email="llego.tarde@example.com")
    harness.deliver(person_updated(T0 + timedelta(days=1), who=found))

    assert [d.status for d in harness.deliveries(KEY)] == ["sent"]
    mail = harness.mail_to("llego.tarde@example.com")
    assert len(mail) == 1
    body = mail[0].get_body(preferencelist=("plain",))
    assert body is not None
    match = PASSWORD_LINE.search(body.get_content())
    assert match is not None
    assert harness.emulator.password_valid(ADDRESS, match.group(1))
    assert harness.person(KEY).account_status == "active"


def test_a_later_update_without_an_email_changes_nothing(harness: Harness) -> None:
    nowhere = person("1055000001", "CC", personal_email=None)
    harness.deliver(enrolled(T0, who=nowhere), person_updated(T0 + timedelta(days=1), who=nowhere))
    assert [d.status for d in harness.deliveries(KEY)] == ["no_recipient"]
    assert harness.services.queue.counts()["pending"] == 0
