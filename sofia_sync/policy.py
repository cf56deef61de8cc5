"""Person → the account they should have. Pure and deterministic: same record, same clock,
same account.

Whether the account is active, and which kind of org unit it sits in, is
:mod:`sofia_sync.lifecycle`'s decision; this module turns it into Google's terms: the
address, names, org unit path, recovery data, the Sofia Plus link, and the ficha groups.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sofia_sync.contract import DocumentType, EnrollmentStatus, Role, parse_person_key
from sofia_sync.lifecycle import (
    DEFAULT_ACTIVE_STATUSES,
    LifecycleSettings,
    Placement,
    standing,
    warrants_account,
)
from sofia_sync.normalize import spanish_name, username
from sofia_sync.person import EnrollmentRecord, PersonRecord

__all__ = [
    "DEFAULT_ACTIVE_STATUSES",
    "AccountDecision",
    "DesiredAccount",
    "FichaGroup",
    "LeftAlone",
    "NoAccount",
    "PolicySettings",
    "StaffSuspension",
    "coming_suspension",
    "decide_account",
    "desired_account",
    "staff_suspension",
]

#: The placeholders org unit templates may use.
PLACEHOLDERS = frozenset({"regional", "regional_code", "centro", "centro_code"})
#: The placeholders the ficha group templates may use.
GROUP_PLACEHOLDERS = frozenset({"ficha", "domain"})

GroupRole = Literal["MANAGER", "MEMBER"]


def _placeholders_used(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _check_template(template: str, allowed: frozenset[str]) -> str:
    """A typo in a template must fail at start-up, not in every reconcile job."""
    unknown = _placeholders_used(template) - allowed
    if unknown:
        raise ValueError(f"unknown placeholder(s) {sorted(unknown)}; use {sorted(allowed)}")
    return template


class PolicySettings(LifecycleSettings):
    """Everything SENA's IT team may want to decide differently; defaults follow the contract."""

    domain: str = "misena.edu.co"
    apprentice_org_unit: str = "/Aprendices/{regional}"
    instructor_org_unit: str = "/Instructores/{regional}"
    graduate_org_unit: str = "/Egresados/{regional}"
    #: Regional of an instructor Sofia tells us nothing about (no enrollment to take it from).
    default_regional: str = "Sin Regional"
    custom_schema: str = "SofiaPlus"
    external_id_type: str = "organization"
    ficha_group_email: str = "ficha-{ficha}@{domain}"
    ficha_group_name: str = "Ficha {ficha}"
    #: Accounts misena never changes, whatever Sofia says (addresses or aliases).
    excluded_accounts: frozenset[str] = frozenset()
    #: Org units (and everything below them) whose accounts misena never changes.
    excluded_org_units: frozenset[str] = frozenset()

    @field_validator("apprentice_org_unit", "instructor_org_unit", "graduate_org_unit")
    @classmethod
    def _org_unit_template(cls, template: str) -> str:
        if not template.startswith("/"):
            raise ValueError("an org unit path starts with '/'")
        return _check_template(template, PLACEHOLDERS)

    @field_validator("ficha_group_email", "ficha_group_name")
    @classmethod
    def _group_template(cls, template: str) -> str:
        """Without a real ``{ficha}`` placeholder every ficha would share one group."""
        if "ficha" not in _placeholders_used(template):
            raise ValueError("a ficha group template must use the {ficha} placeholder")
        return _check_template(template, GROUP_PLACEHOLDERS)

    @field_validator("excluded_accounts", "excluded_org_units")
    @classmethod
    def _casefolded(cls, values: frozenset[str]) -> frozenset[str]:
        return frozenset(value.strip().casefold().rstrip("/") or "/" for value in values)

    def ficha_group(self, ficha: str, role: GroupRole) -> FichaGroup:
        return FichaGroup(
            email=self.ficha_group_email.format(ficha=ficha, domain=self.domain).lower(),
            name=self.ficha_group_name.format(ficha=ficha, domain=self.domain),
            role=role,
        )


class FichaGroup(BaseModel):
    """A ficha's Google Group and the role the person should hold in it."""

    model_config = ConfigDict(frozen=True)

    email: str
    name: str
    role: GroupRole


class DesiredAccount(BaseModel):
    """The Google account a person should have, in Google's terms.

    ``custom_schema_values`` is exactly what goes under ``customSchemas[custom_schema]``
    (multi-valued ``fichas`` as ``[{"value": ...}]``). ``custom_schema``,
    ``external_id_type``, the document and ``former_documents`` are carried along so the
    planner needs nothing but this object and the actual user.
    """

    model_config = ConfigDict(frozen=True)

    primary_email: str
    given_name: str
    family_name: str
    org_unit_path: str
    recovery_email: str | None
    recovery_phone: str | None
    external_id: str
    custom_schema_values: dict[str, Any]
    role: Role
    document_type: DocumentType
    document_number: str
    custom_schema: str = "SofiaPlus"
    external_id_type: str = "organization"
    former_documents: frozenset[tuple[DocumentType, str]] = Field(default_factory=frozenset)
    suspended: bool = False
    #: Why the account is (or stays) in its state: shown to IT staff and recorded with a
    #: suspension. Never holds a document number.
    standing_reason: str = ""
    #: When the clock alone changes this account (a grace period ending), if ever.
    review_at: datetime | None = None
    groups: tuple[FichaGroup, ...] = ()
    excluded_accounts: frozenset[str] = frozenset()
    excluded_org_units: frozenset[str] = frozenset()


@dataclass(frozen=True)
class StaffSuspension:
    """IT staff suspended the account (``misena accounts suspend``), for ``reason``.

    It overrides the lifecycle until staff lift it: the account stays suspended whatever
    Sofia Plus says, with no grace period and no review by the clock. The reconcile, the bulk
    plan's preview and the person's page all take it through :func:`desired_account`, so what
    IT staff are shown is what the reconcile will do.
    """

    reason: str | None = None

    @property
    def standing_reason(self) -> str:
        return f"suspended by IT staff: {self.reason or 'no reason given'}"


def staff_suspension(suspended: bool, reason: str | None) -> StaffSuspension | None:
    """The staff suspension as misena stores it (a flag and its reason), or ``None``."""
    return StaffSuspension(reason) if suspended else None


def external_id(document_type: DocumentType | str, normalized_number: str) -> str:
    """The ``externalIds`` value tying an account to a Sofia Plus person: ``CC-1023456789``."""
    return f"{DocumentType(document_type).value}-{normalized_number}"


def desired_account(
    person: PersonRecord,
    settings: PolicySettings,
    now: datetime,
    *,
    staff: StaffSuspension | None = None,
) -> DesiredAccount | None:
    """The account ``person`` should have at ``now``, or ``None`` when nothing ever warranted one.

    An account is warranted by the Instructor role, by any enrollment (whatever its status:
    an inactive one is for lifecycle to suspend, not for us to forget) or by having been an
    instructor. ``staff``: IT staff's suspension, which keeps a warranted account suspended
    whatever the lifecycle says (it never makes one warranted).
    """
    if not warrants_account(person):
        return None
    stand = standing(person, settings, now)
    suspended, reason, review_at = stand.suspended, stand.reason, stand.review_at
    if staff is not None:
        suspended, reason, review_at = True, staff.standing_reason, None
    reference = _placing_enrollment(person, settings, stand.placement)
    template = {
        Placement.INSTRUCTOR: settings.instructor_org_unit,
        Placement.APPRENTICE: settings.apprentice_org_unit,
        Placement.GRADUATE: settings.graduate_org_unit,
    }[stand.placement]
    return DesiredAccount(
        primary_email=username(person.document_number, settings.domain),
        given_name=person.first_names,
        family_name=person.last_names,
        org_unit_path=org_unit_path(template, reference, settings.default_regional),
        recovery_email=person.personal_email,
        recovery_phone=person.mobile_e164,
        external_id=external_id(person.document_type, person.document_number),
        custom_schema_values=_schema_values(person, reference, settings.active_statuses),
        role=Role.INSTRUCTOR if stand.placement is Placement.INSTRUCTOR else Role.APRENDIZ,
        document_type=person.document_type,
        document_number=person.document_number,
        custom_schema=settings.custom_schema,
        external_id_type=settings.external_id_type,
        former_documents=frozenset(parse_person_key(key) for key in person.previous_keys),
        suspended=suspended,
        standing_reason=reason,
        review_at=review_at,
        groups=ficha_groups(person, settings),
        excluded_accounts=settings.excluded_accounts,
        excluded_org_units=settings.excluded_org_units,
    )


@dataclass(frozen=True)
class LeftAlone:
    """IT staff excluded the person from misena's management: nothing of theirs is changed,
    whatever Sofia Plus says and whatever the account looks like."""


@dataclass(frozen=True)
class NoAccount:
    """Nothing ever warranted an account (no role, no enrollment)."""


#: What misena does with a person's account: leave it alone, have none, or make it this one.
AccountDecision = LeftAlone | NoAccount | DesiredAccount


def decide_account(
    person: PersonRecord,
    settings: PolicySettings,
    now: datetime,
    *,
    excluded: bool = False,
    staff: StaffSuspension | None = None,
) -> AccountDecision:
    """The one decision of a person's account, for the reconcile and the bulk plan alike, so
    neither applies a rule the other does not: IT staff's exclusion first (nothing is decided
    for an excluded person), then the policy with IT staff's suspension overriding it."""
    if excluded:
        return LeftAlone()
    desired = desired_account(person, settings, now, staff=staff)
    return NoAccount() if desired is None else desired


def coming_suspension(
    person: PersonRecord,
    settings: PolicySettings,
    now: datetime,
    *,
    staff: StaffSuspension | None = None,
) -> str | None:
    """The reason of the lifecycle suspension the person's account gets now, or when their
    grace period ends if nothing changes — to the letter what the reconcile will ask the
    circuit breaker, so a pre-release IT staff confirm (:mod:`app.accounts.approvals`) is
    found by it. ``None`` when nothing ends, or when the suspension is IT staff's own (which
    never meets the breaker)."""
    if staff is not None:
        return None
    desired = desired_account(person, settings, now)
    if desired is not None and not desired.suspended and desired.review_at is not None:
        desired = desired_account(person, settings, desired.review_at)
    return desired.standing_reason if desired is not None and desired.suspended else None


def _placing_enrollment(
    person: PersonRecord, settings: PolicySettings, placement: Placement
) -> EnrollmentRecord | None:
    """A graduate is placed by the program they certified in, everyone else by
    :func:`reference_enrollment`."""
    if placement is Placement.GRADUATE:
        graduated = tuple(e for e in person.enrollments if e.status in settings.graduated_statuses)
        return reference_enrollment(graduated, settings.active_statuses)
    return reference_enrollment(person.enrollments, settings.active_statuses)


def ficha_groups(person: PersonRecord, settings: PolicySettings) -> tuple[FichaGroup, ...]:
    """MEMBER of the fichas the person is actively enrolled in; MANAGER of those an instructor
    is linked to (manager wins when both), sorted by group address."""
    roles: dict[str, GroupRole] = {
        e.ficha: "MEMBER" for e in person.enrollments if e.status in settings.active_statuses
    }
    if Role.INSTRUCTOR in person.roles:
        roles.update(dict.fromkeys(person.instructor_fichas, "MANAGER"))
    groups = (settings.ficha_group(ficha, role) for ficha, role in roles.items())
    return tuple(sorted(groups, key=lambda group: group.email))


def reference_enrollment(
    enrollments: tuple[EnrollmentRecord, ...], active_statuses: frozenset[EnrollmentStatus]
) -> EnrollmentRecord | None:
    """The enrollment that places the person: the most recent active one (by start date, then
    ficha), else the most recent of any status."""
    active = [e for e in enrollments if e.status in active_statuses]
    return max(active or enrollments, key=lambda e: (e.start_date, e.ficha), default=None)


def org_unit_path(template: str, reference: EnrollmentRecord | None, default_regional: str) -> str:
    """The template filled in; empty segments (no centro for an instructor) are dropped."""
    filled = template.format(**_placeholders(reference, default_regional))
    segments = [segment.strip() for segment in filled.split("/")]
    return "/" + "/".join(segment for segment in segments if segment)


def _placeholders(reference: EnrollmentRecord | None, default_regional: str) -> dict[str, str]:
    if reference is None:
        return {"regional": default_regional, "regional_code": "", "centro": "", "centro_code": ""}
    return {
        "regional": _display(reference.regional_name, default_regional),
        "regional_code": _segment(reference.regional_code),
        "centro": _display(reference.centro_name, ""),
        "centro_code": _segment(reference.centro_code),
    }


def _display(name: str, fallback: str) -> str:
    """``DISTRITO CAPITAL`` → ``Distrito Capital``; spanish_name also removes any ``/``."""
    try:
        return spanish_name(name)
    except ValueError:
        return fallback


def _segment(code: str) -> str:
    return code.replace("/", " ").strip()


def _schema_values(
    person: PersonRecord,
    reference: EnrollmentRecord | None,
    active_statuses: frozenset[EnrollmentStatus],
) -> dict[str, Any]:
    active = sorted(e.ficha for e in person.enrollments if e.status in active_statuses)
    values: dict[str, Any] = {
        "documentType": person.document_type.value,
        "documentNumber": person.document_number,
        "fichas": [{"value": ficha} for ficha in active],
    }
    if reference is not None:
        values["centro"] = reference.centro_code
        values["regional"] = reference.regional_code
    return values


def schema_definition(schema_name: str = "SofiaPlus") -> dict[str, Any]:
    """The Directory ``schemas.insert`` body of the custom schema misena writes.

    Only admins and the user read it: a document number is personal data.
    """

    def spec(name: str, display: str, **extra: Any) -> dict[str, Any]:
        return {
            "fieldName": name,
            "fieldType": "STRING",
            "displayName": display,
            "readAccessType": "ADMINS_AND_SELF",
            "multiValued": False,
            **extra,
        }

    return {
        "schemaName": schema_name,
        "displayName": "Sofia Plus",
        "fields": [
            spec("documentType", "Tipo de documento"),
            spec("documentNumber", "Número de documento", indexed=True),
            spec("fichas", "Fichas", multiValued=True),
            spec("centro", "Centro de formación"),
            spec("regional", "Regional"),
        ],
    }


SOFIA_SCHEMA_DEFINITION: dict[str, Any] = schema_definition()
