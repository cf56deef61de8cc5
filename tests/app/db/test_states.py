"""The state vocabularies (:mod:`app.db.states`) are the columns' own: each status column is
typed with one, keeps its stored length, and its CHECK constraint admits exactly its members."""

from __future__ import annotations

from enum import StrEnum

import pytest
from sqlalchemy import CheckConstraint, Enum, String

from app.db import states
from app.db.models import Base
from sofia_sync.held_suspensions import HoldDecision

#: (table, column) → (vocabulary, the VARCHAR length the migrations created).
TYPED = {
    ("people", "account_status"): (states.AccountStatus, 32),
    ("jobs", "kind"): (states.JobKind, 32),
    ("jobs", "state"): (states.JobState, 16),
    ("suspension_holds", "state"): (states.HoldState, 16),
    ("suspension_approvals", "state"): (states.ApprovalState, 8),
    ("credential_deliveries", "status"): (states.DeliveryStatus, 16),
    ("credential_deliveries", "reason"): (states.DeliveryReason, 32),
    ("suspensions", "source"): (states.SuspensionSource, 16),
    ("sync_runs", "status"): (states.SyncRunStatus, 16),
    ("sync_items", "state"): (states.SyncItemState, 8),
}


@pytest.mark.parametrize(("table", "column"), list(TYPED))
def test_each_status_column_is_typed_with_its_vocabulary(table: str, column: str) -> None:
    vocabulary, length = TYPED[(table, column)]
    kind = Base.metadata.tables[table].c[column].type
    assert isinstance(kind, Enum)
    assert kind.enum_class is vocabulary
    assert kind.native_enum is False, "stored as VARCHAR: no database type of its own"
    assert isinstance(kind, String)
    assert kind.length == length
    assert kind.enums == [member.value for member in vocabulary]
    assert all(len(member.value) <= length for member in vocabulary)


def test_no_other_column_is_an_enum() -> None:
    """A new status column is typed here too, or this list (and its length) is updated."""
    enums = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, Enum)
    }
    assert enums == set(TYPED)


@pytest.mark.parametrize(
    ("table", "vocabulary"),
    [
        ("jobs", states.JobState),
        ("suspension_holds", states.HoldState),
        ("suspension_approvals", states.ApprovalState),
    ],
)
def test_check_constraints_admit_exactly_the_vocabulary(table: str, vocabulary: type[StrEnum]) -> None:
    [check] = [c for c in Base.metadata.tables[table].constraints if isinstance(c, CheckConstraint)]
    expected = "state IN (" + ", ".join(f"'{member.value}'" for member in vocabulary) + ")"
    assert str(check.sqltext) == expected


def test_the_check_text_matches_what_the_migrations_wrote() -> None:
    """The generated text is the hand-written one it replaced (a migration created it)."""
    assert states.one_of("state", states.JobState) == (
        "state IN ('pending', 'running', 'done', 'dead', 'cancelled')"
    )
    assert states.one_of("state", states.ApprovalState) == "state IN ('open', 'used', 'void')"


def test_the_domain_hold_decisions_are_hold_states() -> None:
    """The brake reads a stored hold state as the domain's decision (``HoldDecision(state)``)."""
    assert {d.value for d in HoldDecision} <= {s.value for s in states.HoldState}


def test_members_are_their_values() -> None:
    """Rows, JSON and metric labels see the plain value, whichever way it is written."""
    assert states.JobState.DEAD == "dead"
    assert f"{states.JobKind.DELIVER}" == "deliver_credentials"
    assert str(states.AccountStatus.SUSPENDED_OUTSIDE) == "suspended_outside"
