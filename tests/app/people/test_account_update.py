"""The typed account update: a field given is written (``None`` clears it), a field left
alone keeps its column; a later update wins where both write; a merge carries every field."""

from __future__ import annotations

from datetime import UTC, datetime

from app.db.models import Person
from app.people.repository import KEEP, AccountUpdate, account_of, apply_account

AT = datetime(2026, 1, 20, 13, 15, tzinfo=UTC)


def _row() -> Person:
    return Person(
        account_status="suspended",
        status_reason="grace period over",
        primary_email="1098765432@misena.edu.co",
        google_user_id="1",
        suspended_by_misena=True,
        suspension_reason="grace period over",
        suspended_at=AT,
        group_memberships={"ficha-2758392@misena.edu.co": "MEMBER"},
        next_review_at=AT,
    )


def test_only_the_fields_given_are_written_and_none_clears() -> None:
    person = _row()
    apply_account(person, AccountUpdate(status_reason=None, next_review_at=None))
    assert (person.status_reason, person.next_review_at) == (None, None)
    assert (person.account_status, person.suspension_reason, person.google_user_id) == (
        "suspended",
        "grace period over",
        "1",
    )


def test_a_later_update_wins_where_both_write_and_keeps_the_rest() -> None:
    first = AccountUpdate(account_status="suspended", status_reason="held")
    combined = first.then(AccountUpdate(status_reason=None))
    assert combined == AccountUpdate(account_status="suspended", status_reason=None)
    assert AccountUpdate(status_reason=None).then(first).status_reason == "held"
    assert combined.suspension_reason is KEEP


def test_an_empty_update_writes_nothing() -> None:
    assert not AccountUpdate().given()
    assert AccountUpdate(status_reason=None).given()
    person = _row()
    before = account_of(person)
    apply_account(person, AccountUpdate())
    assert account_of(person) == before


def test_every_account_field_is_carried_to_another_row() -> None:
    kept = Person(account_status="pending")
    apply_account(kept, account_of(_row()))
    assert account_of(kept) == account_of(_row())
