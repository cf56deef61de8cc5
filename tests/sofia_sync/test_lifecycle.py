"""Lifecycle: whether a person's account is active, where it sits, and when the clock alone
changes that."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sofia_sync.contract import DocumentType, EnrollmentStatus, Role
from sofia_sync.lifecycle import (
    LifecycleSettings,
    Placement,
    Standing,
    standing,
    warrants_account,
)
from sofia_sync.person import ROLES, PersonRecord
from sofia_sync.policy import PolicySettings, desired_account
from tests.support.record_factories import AT, enrollment, event, fold, person

S = EnrollmentStatus
DEFAULTS = LifecycleSettings()
DAY = timedelta(days=1)
#: The default periods, counted from the records' status time ``AT``.
WITHDRAWAL_ENDS = AT + 30 * DAY
GRADUATION_ENDS = AT + 180 * DAY

INSTRUCTOR = frozenset({Role.INSTRUCTOR})
BOTH = frozenset({Role.INSTRUCTOR, Role.APRENDIZ})


def at(record: PersonRecord, now: datetime, settings_: LifecycleSettings = DEFAULTS) -> tuple[object, ...]:
    """``(suspended, placement, review_at)``: the table's columns."""
    result = standing(record, settings_, now)
    return (result.suspended, result.placement, result.review_at)


# -- the table: status x roles x clock ------------------------------------------------------

ACTIVE_APPRENTICE = (False, Placement.APPRENTICE, None)
HELD_AS_INSTRUCTOR = (False, Placement.INSTRUCTOR, None)

#: The clocks of the table: within every period, after the withdrawal grace (exactly at its
#: end), after the graduates' period (exactly at its end).
CLOCKS = {
    "a day later": AT + DAY,
    "withdrawal grace over": WITHDRAWAL_ENDS,
    "graduates' period over": GRADUATION_ENDS,
}

#: Without the Instructor role: the expected (suspended, placement, review_at) at each clock.
WITHOUT_INSTRUCTOR: dict[EnrollmentStatus, tuple[tuple[object, ...], ...]] = {
    S.EN_FORMACION: (ACTIVE_APPRENTICE, ACTIVE_APPRENTICE, ACTIVE_APPRENTICE),
    S.CONDICIONADO: (ACTIVE_APPRENTICE, ACTIVE_APPRENTICE, ACTIVE_APPRENTICE),
    S.APLAZADO: (ACTIVE_APPRENTICE, ACTIVE_APPRENTICE, ACTIVE_APPRENTICE),
    S.TRASLADADO: (ACTIVE_APPRENTICE, ACTIVE_APPRENTICE, ACTIVE_APPRENTICE),
    S.POR_CERTIFICAR: (ACTIVE_APPRENTICE, ACTIVE_APPRENTICE, ACTIVE_APPRENTICE),
    S.CERTIFICADO: (
        (False, Placement.GRADUATE, GRADUATION_ENDS),
        (False, Placement.GRADUATE, GRADUATION_ENDS),
        (True, Placement.GRADUATE, None),
    ),
    S.CANCELADO: (
        (False, Placement.APPRENTICE, WITHDRAWAL_ENDS),
        (True, Placement.APPRENTICE, None),
        (True, Placement.APPRENTICE, None),
    ),
    S.RETIRO_VOLUNTARIO: (
        (False, Placement.APPRENTICE, WITHDRAWAL_ENDS),
        (True, Placement.APPRENTICE, None),
        (True, Placement.APPRENTICE, None),
    ),
}

ROLE_SETS = {
    "no roles": frozenset(),
    "APRENDIZ": frozenset({Role.APRENDIZ}),
    "INSTRUCTOR": INSTRUCTOR,
    "both roles": BOTH,
}

TABLE = [
    pytest.param(
        status,
        roles,
        now,
        HELD_AS_INSTRUCTOR if Role.INSTRUCTOR in roles else expected[column],
        id=f"{status.value}-{roles_name}-{clock}",
    )
    for status, expected in WITHOUT_INSTRUCTOR.items()
    for roles_name, roles in ROLE_SETS.items()
    for column, (clock, now) in enumerate(CLOCKS.items())
]


def test_the_table_covers_every_status() -> None:
    assert set(WITHOUT_INSTRUCTOR) == set(EnrollmentStatus)
    assert len(TABLE) == 8 * 4 * 3


@pytest.mark.parametrize(("status", "roles", "now", "expected"), TABLE)
def test_lifecycle_table(
    status: EnrollmentStatus, roles: frozenset[Role], now: datetime, expected: tuple[object, ...]
) -> None:
    record = person(enrollment(status=status), roles=roles)
    assert at(record, now) == expected


@pytest.mark.parametrize(
    ("status", "period_ends"),
    [
        (S.CANCELADO, WITHDRAWAL_ENDS),
        (S.RETIRO_VOLUNTARIO, WITHDRAWAL_ENDS),
        (S.CERTIFICADO, GRADUATION_ENDS),
    ],
)
def test_the_account_is_active_until_the_very_end_of_the_period(
    status: EnrollmentStatus, period_ends: datetime
) -> None:
    record = person(enrollment(status=status))
    just_before = standing(record, DEFAULTS, period_ends - timedelta(microseconds=1))
    assert (just_before.suspended, just_before.review_at) == (False, period_ends)
    assert standing(record, DEFAULTS, period_ends).suspended


def test_no_enrollment_and_no_role_is_suspended() -> None:
    result = standing(person(), DEFAULTS, AT)
    assert result == Standing(True, "no enrollment and no Instructor role", Placement.APPRENTICE)


# -- holds -----------------------------------------------------------------------------------


def test_another_active_enrollment_holds_the_account_despite_a_cancelled_one() -> None:
    record = person(
        enrollment("1", status=S.CANCELADO),
        enrollment("2", status=S.EN_FORMACION),
    )
    for now in (AT + DAY, AT + 1000 * DAY):
        result = standing(record, DEFAULTS, now)
        assert result == Standing(False, "active enrollment in ficha 2", Placement.APPRENTICE)


def test_several_active_enrollments_are_all_named() -> None:
    record = person(enrollment("2", status=S.APLAZADO), enrollment("1"), enrollment("3", status=S.CANCELADO))
    assert standing(record, DEFAULTS, AT).reason == "active enrollment in ficha 1, 2"


def test_the_instructor_role_holds_the_account_despite_a_cancelled_enrollment() -> None:
    record = person(enrollment(status=S.CANCELADO), roles=BOTH)
    result = standing(record, DEFAULTS, AT + 1000 * DAY)
    assert result == Standing(False, "holds the Instructor role", Placement.INSTRUCTOR)


def test_the_instructor_role_wins_the_placement_over_an_active_enrollment() -> None:
    record = person(enrollment(), roles=BOTH)
    assert at(record, AT) == HELD_AS_INSTRUCTOR


# -- graduates ---------------------------------------------------------------------------------


def test_a_graduate_stays_active_for_the_graduates_period_then_is_suspended() -> None:
    record = person(enrollment("2758392", status=S.CERTIFICADO))
    during = standing(record, DEFAULTS, AT + 179 * DAY)
    assert during == Standing(
        False,
        "certified (CERTIFICADO) in ficha 2758392; active until 2026-07-19",
        Placement.GRADUATE,
        GRADUATION_ENDS,
    )
    after = standing(record, DEFAULTS, GRADUATION_ENDS)
    assert after == Standing(True, "certified (CERTIFICADO) in ficha 2758392", Placement.GRADUATE)


def test_a_graduate_with_a_new_active_enrollment_is_an_apprentice_again() -> None:
    record = person(enrollment("1", status=S.CERTIFICADO), enrollment("2"))
    assert at(record, AT + 1000 * DAY) == ACTIVE_APPRENTICE


def test_a_graduate_who_later_withdrew_from_another_ficha_is_still_a_graduate() -> None:
    record = person(
        enrollment("1", status=S.CERTIFICADO),
        enrollment("2", status=S.RETIRO_VOLUNTARIO, status_at=AT + 100 * DAY),
    )
    result = standing(record, DEFAULTS, AT + 150 * DAY)
    assert (result.suspended, result.placement, result.review_at) == (
        False,
        Placement.GRADUATE,
        GRADUATION_ENDS,
    )


# -- losing the Instructor role --------------------------------------------------------------

T0 = "2026-01-20T08:00:00-05:00"
T1 = "2026-02-01T08:00:00-05:00"
REMOVED_AT = datetime.fromisoformat(T1)
INSTRUCTOR_GRACE_ENDS = REMOVED_AT + 30 * DAY


def instructor_removed(*earlier: str) -> PersonRecord:
    """An instructor (no enrollment) whose role Sofia took away at T1."""
    became = [
        event("person.roles_changed", at=when, roles=["INSTRUCTOR"], previous_roles=[]) for when in earlier
    ]
    removed = event("person.roles_changed", at=T1, roles=["ADMINISTRATIVO"], previous_roles=["INSTRUCTOR"])
    return fold(*became, removed)


@pytest.mark.parametrize("earlier", [(), (T0,)], ids=["only the removal is known", "appointed, then removed"])
def test_losing_the_instructor_role_gives_a_grace_period_then_suspends(earlier: tuple[str, ...]) -> None:
    record = instructor_removed(*earlier)
    assert record.roles == frozenset()
    assert record.ever_instructor
    assert warrants_account(record)
    during = standing(record, DEFAULTS, INSTRUCTOR_GRACE_ENDS - DAY)
    assert during == Standing(
        False, "Instructor role removed; active until 2026-03-03", Placement.INSTRUCTOR, INSTRUCTOR_GRACE_ENDS
    )
    after = standing(record, DEFAULTS, INSTRUCTOR_GRACE_ENDS)
    assert after == Standing(True, "Instructor role removed", Placement.INSTRUCTOR)


def test_a_former_instructor_keeps_the_instructors_unit_until_suspended() -> None:
    record = instructor_removed(T0)
    for now in (REMOVED_AT, INSTRUCTOR_GRACE_ENDS - DAY, INSTRUCTOR_GRACE_ENDS):
        desired = desired_account(record, PolicySettings(), now)
        assert desired is not None
        assert desired.org_unit_path == "/Instructores/Sin Regional"
        assert desired.groups == ()
    suspended = desired_account(record, PolicySettings(), INSTRUCTOR_GRACE_ENDS)
    assert suspended is not None
    assert suspended.suspended


def test_losing_the_instructor_role_with_an_active_enrollment_keeps_the_account() -> None:
    record = instructor_removed(T0)
    record = record.model_copy(update={"enrollments": (enrollment(),)})
    assert at(record, INSTRUCTOR_GRACE_ENDS + 1000 * DAY) == ACTIVE_APPRENTICE


def test_getting_the_instructor_role_back_holds_the_account_again() -> None:
    record = fold(
        event("person.roles_changed", at=T0, roles=["INSTRUCTOR"]),
        event("person.roles_changed", at=T1, roles=[], previous_roles=["INSTRUCTOR"]),
        event(
            "person.roles_changed", at="2026-04-01T08:00:00-05:00", roles=["INSTRUCTOR"], previous_roles=[]
        ),
    )
    assert at(record, INSTRUCTOR_GRACE_ENDS + 1000 * DAY) == HELD_AS_INSTRUCTOR


def test_an_apprentice_role_alone_never_warranted_an_account() -> None:
    record = fold(event("person.roles_changed", at=T0, roles=["APRENDIZ"], previous_roles=["ADMINISTRATIVO"]))
    assert not record.ever_instructor
    assert not warrants_account(record)
    assert desired_account(record, PolicySettings(), AT) is None


# -- several reasons: the latest deadline wins -----------------------------------------------


def test_the_latest_withdrawal_sets_the_deadline() -> None:
    record = person(
        enrollment("1", status=S.RETIRO_VOLUNTARIO, status_at=AT + 10 * DAY),
        enrollment("2", status=S.CANCELADO, status_at=AT),
        enrollment("3", status=S.CANCELADO, status_at=AT + 5 * DAY),
    )
    deadline = AT + 40 * DAY
    during = standing(record, DEFAULTS, AT + 35 * DAY)
    assert (during.suspended, during.review_at) == (False, deadline)
    assert "ficha 1" in during.reason
    after = standing(record, DEFAULTS, deadline)
    assert after == Standing(True, "enrollment RETIRO_VOLUNTARIO in ficha 1", Placement.APPRENTICE)


def test_a_longer_graduates_period_outlasts_a_later_withdrawal() -> None:
    record = person(
        enrollment("1", status=S.CERTIFICADO, status_at=AT),
        enrollment("2", status=S.CANCELADO, status_at=AT + 100 * DAY),
    )
    assert standing(record, DEFAULTS, AT + 140 * DAY).review_at == GRADUATION_ENDS


def test_the_instructor_grace_and_an_enrollment_deadline_the_later_wins() -> None:
    later_removal = person(
        enrollment(status=S.CANCELADO, status_at=AT),
        roles=frozenset(),
        ever_instructor=True,
        field_times={ROLES: AT + 60 * DAY},
    )
    assert standing(later_removal, DEFAULTS, AT + 31 * DAY).review_at == AT + 90 * DAY
    assert standing(later_removal, DEFAULTS, AT + 90 * DAY).reason == "Instructor role removed"
    later_withdrawal = later_removal.model_copy(
        update={"enrollments": (enrollment(status=S.CANCELADO, status_at=AT + 100 * DAY),)}
    )
    assert standing(later_withdrawal, DEFAULTS, AT + 91 * DAY).review_at == AT + 130 * DAY


def test_a_late_older_event_cannot_bring_the_suspension_forward() -> None:
    """The withdrawal from ficha 2 arrives after the one from ficha 1, but happened before."""
    newer = event(
        "enrollment.status_changed",
        at="2026-06-03T08:00:00-05:00",
        enrollment={"ficha": "1", "status": "RETIRO_VOLUNTARIO"},
    )
    older = event(
        "enrollment.status_changed",
        at="2026-05-01T08:00:00-05:00",
        enrollment={"ficha": "2", "status": "CANCELADO"},
    )
    deadline = datetime.fromisoformat("2026-07-03T08:00:00-05:00")
    for record in (fold(newer, older), fold(older, newer)):
        assert standing(record, DEFAULTS, deadline - DAY).review_at == deadline
        assert standing(record, DEFAULTS, deadline).suspended


# -- settings ----------------------------------------------------------------------------------


def test_a_custom_withdrawal_grace_is_honoured() -> None:
    record = person(enrollment(status=S.CANCELADO))
    longer = LifecycleSettings(withdrawal_grace_days=90)
    assert at(record, AT + 60 * DAY, longer) == (False, Placement.APPRENTICE, AT + 90 * DAY)
    assert at(record, AT + 90 * DAY, longer) == (True, Placement.APPRENTICE, None)
    none = LifecycleSettings(withdrawal_grace_days=0)
    assert at(record, AT, none) == (True, Placement.APPRENTICE, None)


def test_a_custom_graduates_period_is_honoured() -> None:
    record = person(enrollment(status=S.CERTIFICADO))
    short = LifecycleSettings(graduate_active_days=10)
    assert at(record, AT + 9 * DAY, short) == (False, Placement.GRADUATE, AT + 10 * DAY)
    assert at(record, AT + 10 * DAY, short) == (True, Placement.GRADUATE, None)


def test_a_custom_instructor_grace_is_honoured() -> None:
    record = instructor_removed(T0)
    short = LifecycleSettings(instructor_grace_days=7)
    assert at(record, REMOVED_AT + 6 * DAY, short) == (False, Placement.INSTRUCTOR, REMOVED_AT + 7 * DAY)
    assert at(record, REMOVED_AT + 7 * DAY, short) == (True, Placement.INSTRUCTOR, None)


def test_custom_active_statuses_are_honoured() -> None:
    only_training = LifecycleSettings(active_statuses=frozenset({S.EN_FORMACION}))
    postponed = person(enrollment(status=S.APLAZADO))
    assert at(postponed, AT + DAY, only_training) == (False, Placement.APPRENTICE, WITHDRAWAL_ENDS)
    assert at(postponed, WITHDRAWAL_ENDS, only_training) == (True, Placement.APPRENTICE, None)
    lenient = LifecycleSettings(active_statuses=frozenset({S.EN_FORMACION, S.CANCELADO}))
    cancelled = person(enrollment(status=S.CANCELADO))
    assert at(cancelled, AT + 1000 * DAY, lenient) == ACTIVE_APPRENTICE


def test_custom_graduated_statuses_are_honoured() -> None:
    custom = LifecycleSettings(
        active_statuses=frozenset({S.EN_FORMACION}),
        graduated_statuses=frozenset({S.CERTIFICADO, S.POR_CERTIFICAR}),
    )
    record = person(enrollment(status=S.POR_CERTIFICAR))
    assert at(record, AT + DAY, custom) == (False, Placement.GRADUATE, GRADUATION_ENDS)


def test_policy_settings_are_lifecycle_settings() -> None:
    record = person(enrollment(status=S.CANCELADO))
    policy = PolicySettings(withdrawal_grace_days=5)
    assert at(record, AT + 5 * DAY, policy) == (True, Placement.APPRENTICE, None)
    desired = desired_account(record, policy, AT + 5 * DAY)
    assert desired is not None
    assert desired.suspended


@pytest.mark.parametrize("field", ["graduate_active_days", "withdrawal_grace_days", "instructor_grace_days"])
def test_negative_periods_are_refused(field: str) -> None:
    with pytest.raises(ValidationError):
        LifecycleSettings.model_validate({field: -1})


def test_the_clock_may_be_in_any_timezone() -> None:
    record = person(enrollment(status=S.CANCELADO))
    bogota = WITHDRAWAL_ENDS.astimezone(datetime.fromisoformat(T0).tzinfo)
    assert standing(record, DEFAULTS, bogota) == standing(record, DEFAULTS, WITHDRAWAL_ENDS)


# -- properties of any record ------------------------------------------------------------------

DOCUMENT_NUMBERS = ["1098765432", "ab12345", "52123456"]


@st.composite
def records(draw: st.DrawFn) -> PersonRecord:
    kind, number = draw(
        st.sampled_from([(DocumentType.TI, DOCUMENT_NUMBERS[0]), (DocumentType.PPT, DOCUMENT_NUMBERS[1])])
    )
    enrollments = draw(
        st.lists(
            st.builds(
                enrollment,
                ficha=st.sampled_from(["2758392", "2901111", "3100200"]),
                status=st.sampled_from(list(EnrollmentStatus)),
                status_at=st.integers(0, 400).map(lambda days: AT + days * DAY),
            ),
            max_size=3,
            unique_by=lambda e: e.ficha,
        )
    )
    ever_instructor = draw(st.booleans())
    roles_at = draw(st.sampled_from([None, AT, AT + 200 * DAY])) if ever_instructor else None
    return person(
        *enrollments,
        roles=draw(st.frozensets(st.sampled_from(list(Role)))),
        document_type=kind,
        document_number=number,
        ever_instructor=ever_instructor,
        field_times={} if roles_at is None else {ROLES: roles_at},
    )


@given(records(), st.integers(0, 800).map(lambda days: AT + days * DAY))
@settings(max_examples=200, deadline=None)
def test_any_standing_is_consistent(record: PersonRecord, now: datetime) -> None:
    result = standing(record, DEFAULTS, now)
    for number in DOCUMENT_NUMBERS:
        assert number not in result.reason
    if result.review_at is not None:
        # The answer holds until review_at, where the clock alone changes it.
        assert not result.suspended
        assert result.review_at > now
        assert standing(record, DEFAULTS, result.review_at - timedelta(microseconds=1)) == result
        assert standing(record, DEFAULTS, result.review_at).suspended
    elif not result.suspended:
        # Held: by a role or an enrollment, for as long as they last.
        assert standing(record, DEFAULTS, now + 10_000 * DAY) == result
    if Role.INSTRUCTOR in record.roles:
        assert result.placement is Placement.INSTRUCTOR
    desired = desired_account(record, PolicySettings(), now)
    if desired is not None:
        assert (desired.suspended, desired.review_at) == (result.suspended, result.review_at)
        assert desired.standing_reason == result.reason
        assert record.document_number not in desired.standing_reason
