"""Where a person stands in their SENA life, and so what state their account should be in.

Pure: ``standing(record, settings, now)``. A *hold* keeps an account active — the Instructor
role or an enrollment in an active status. Without one, every reason the account ever had
(an enrollment that ended, a certification, an Instructor role taken away) keeps it active
for its own period after it ended; the account is suspended when the last of those periods
has run out. Taking the latest deadline, not the newest event, means a late or shuffled
event can only ever delay a suspension, never bring one forward.

Placement follows the contract: Instructor wins the org unit; an apprentice with an active
enrollment sits in the apprentices' unit; a person with no hold who certified sits in the
graduates' unit; someone who only ever was an instructor stays in the instructors' unit
until suspended (moving them just before suspending them helps nobody).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from sofia_sync.contract import EnrollmentStatus, Role
from sofia_sync.person import ROLES, EnrollmentRecord, PersonRecord

DEFAULT_ACTIVE_STATUSES = frozenset(
    {
        EnrollmentStatus.EN_FORMACION,
        EnrollmentStatus.CONDICIONADO,
        EnrollmentStatus.APLAZADO,
        EnrollmentStatus.TRASLADADO,
        EnrollmentStatus.POR_CERTIFICAR,
    }
)


class LifecycleSettings(BaseModel):
    """The numbers of the lifecycle; defaults follow the contract, all of them SENA's call."""

    model_config = ConfigDict(frozen=True)

    active_statuses: frozenset[EnrollmentStatus] = DEFAULT_ACTIVE_STATUSES
    graduated_statuses: frozenset[EnrollmentStatus] = frozenset({EnrollmentStatus.CERTIFICADO})
    #: How long a certified apprentice keeps a working account (in the graduates' unit).
    graduate_active_days: int = Field(default=180, ge=0)
    #: Grace after a cancellation or withdrawal (any status neither active nor graduated).
    withdrawal_grace_days: int = Field(default=30, ge=0)
    #: Grace after the Instructor role is taken away from someone with no active enrollment.
    instructor_grace_days: int = Field(default=30, ge=0)


class Placement(StrEnum):
    INSTRUCTOR = "instructor"
    APPRENTICE = "apprentice"
    GRADUATE = "graduate"


@dataclass(frozen=True)
class Standing:
    """``suspended`` or not, why (for IT staff: never a document number), where the person
    sits, and ``review_at``: when the answer changes by the clock alone (the sweep's cue)."""

    suspended: bool
    reason: str
    placement: Placement
    review_at: datetime | None = None


@dataclass(frozen=True)
class _Deadline:
    at: datetime
    reason: str


def warrants_account(record: PersonRecord) -> bool:
    """Whether the person has, or ever had, a reason for an account at all."""
    return Role.INSTRUCTOR in record.roles or bool(record.enrollments) or record.ever_instructor


def active_enrollments(record: PersonRecord, settings: LifecycleSettings) -> list[EnrollmentRecord]:
    return [e for e in record.enrollments if e.status in settings.active_statuses]


def standing(record: PersonRecord, settings: LifecycleSettings, now: datetime) -> Standing:
    placement = _placement(record, settings)
    if Role.INSTRUCTOR in record.roles:
        return Standing(False, "holds the Instructor role", placement)
    active = active_enrollments(record, settings)
    if active:
        fichas = ", ".join(sorted(e.ficha for e in active))
        return Standing(False, f"active enrollment in ficha {fichas}", placement)
    deadline = max(_deadlines(record, settings), key=lambda d: (d.at, d.reason), default=None)
    if deadline is None:
        return Standing(True, "no enrollment and no Instructor role", placement)
    if now < deadline.at:
        reason = f"{deadline.reason}; active until {deadline.at:%Y-%m-%d}"
        return Standing(False, reason, placement, deadline.at)
    return Standing(True, deadline.reason, placement)


def _placement(record: PersonRecord, settings: LifecycleSettings) -> Placement:
    if Role.INSTRUCTOR in record.roles:
        return Placement.INSTRUCTOR
    if active_enrollments(record, settings):
        return Placement.APPRENTICE
    if any(e.status in settings.graduated_statuses for e in record.enrollments):
        return Placement.GRADUATE
    if record.enrollments or not record.ever_instructor:
        return Placement.APPRENTICE
    return Placement.INSTRUCTOR


def _deadlines(record: PersonRecord, settings: LifecycleSettings) -> list[_Deadline]:
    """When each reason the person had for an account runs out."""
    deadlines = [_enrollment_deadline(e, settings) for e in record.enrollments]
    roles_at = record.field_times.get(ROLES)
    if record.ever_instructor and roles_at is not None:
        grace = timedelta(days=settings.instructor_grace_days)
        deadlines.append(_Deadline(roles_at + grace, "Instructor role removed"))
    return deadlines


def _enrollment_deadline(enrollment: EnrollmentRecord, settings: LifecycleSettings) -> _Deadline:
    if enrollment.status in settings.graduated_statuses:
        days = settings.graduate_active_days
        reason = f"certified ({enrollment.status.value}) in ficha {enrollment.ficha}"
    else:
        days = settings.withdrawal_grace_days
        reason = f"enrollment {enrollment.status.value} in ficha {enrollment.ficha}"
    return _Deadline(enrollment.status_at + timedelta(days=days), reason)
