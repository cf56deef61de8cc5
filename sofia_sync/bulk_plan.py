"""A roster + misena's records + a Directory snapshot → the plan of a bulk sync. Pure.

The roster is one more source of facts, dated at the export: each person's roster record is
merged into misena's record with the same per-field rule as events (the newer wins), then the
*same* policy and planner as the event path decide the account, against the snapshot instead
of a ``get`` per person. People misena manages in the scope but absent from the export are
treated as if their in-scope enrollments ended at the export (the lifecycle's grace period
applies); they are the plan's suspensions, and what the safety check weighs.

Safety: a plan is refused — until applied with a confirmation naming the number of
suspensions — when the scope has nobody in the roster, when the file looks truncated, or when
the suspensions exceed a share of the scope's managed accounts. The refusal says why in
Spanish (for IT staff) and English (for logs and the API).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from sofia_sync.contract import (
    EnrollmentStatus,
    EnrollmentStatusChanged,
    Event,
    Role,
    RolesChanged,
)
from sofia_sync.person import (
    BIRTH_DATE,
    DOCUMENT,
    MOBILE,
    NAMES,
    PERSONAL_EMAIL,
    ROLES,
    EnrollmentRecord,
    PersonRecord,
    apply_event,
    enrollment_field,
    merge_records,
)
from sofia_sync.planner import (
    CreateAccount,
    LeaveSuspended,
    ReactivateAccount,
    RefuseForeignAccount,
    SuspendAccount,
    UpdateAccount,
    plan,
    plan_groups,
)
from sofia_sync.policy import PolicySettings, desired_account
from sofia_sync.roster import RosterPerson, Scope
from workspace.models import WorkspaceUser
from workspace.user_snapshot import UserSnapshot

#: What a person missing from a full export is taken to have become, in the scope's fichas.
ABSENT_STATUS = EnrollmentStatus.CANCELADO


class PlanAction(StrEnum):
    CREATE = "create"
    RENAME = "rename"
    SUSPEND = "suspend"
    REACTIVATE = "reactivate"
    MOVE = "move"
    UPDATE = "update"
    GROUPS = "groups"
    LEFT_ALONE = "left_alone"
    UNCHANGED = "unchanged"


class Source(StrEnum):
    ROSTER = "roster"
    ABSENT = "absent"


@dataclass(frozen=True)
class KnownPerson:
    """What misena holds about a person, as far as the plan needs it."""

    record: PersonRecord
    excluded: bool = False
    suspended_by_misena: bool = False
    group_memberships: dict[str, str] | None = None
    google_user_id: str | None = None


@dataclass(frozen=True)
class PlanItem:
    person_key: str
    action: PlanAction
    detail: str
    source: Source
    #: The record to store when applying (roster facts merged in); ``None``: nothing to store.
    record: PersonRecord | None = None


@dataclass(frozen=True)
class Refusal:
    code: str
    es: str
    en: str


@dataclass
class BulkPlan:
    scope: str
    items: list[PlanItem]
    managed_in_scope: int
    roster_people: int
    refusal: Refusal | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def suspensions(self) -> int:
        return self.counts.get(PlanAction.SUSPEND.value, 0)


@dataclass(frozen=True)
class SafetySettings:
    #: Refuse plans whose suspensions exceed this share of the scope's managed accounts.
    max_suspension_share: float = 0.05


class Snapshot:
    """The Directory as read once, with how many accounts misena manages in each scope.

    The users stay compact in the :class:`UserSnapshot` (a model is built only for a lookup);
    the managed counts are taken in one pass here, so the safety check costs nothing later.
    """

    def __init__(self, users: UserSnapshot, custom_schema: str, external_id_type: str) -> None:
        self._users = users
        self._managed: Counter[tuple[str, str | None]] = Counter()
        for user in users.raw_users():
            values = (user.get("customSchemas") or {}).get(custom_schema) or {}
            linked = bool(values.get("documentNumber")) or any(
                e.get("type") == external_id_type for e in user.get("externalIds") or ()
            )
            if not linked or user.get("isAdmin"):
                continue
            self._managed[("all", None)] += 1
            for kind in ("regional", "centro"):
                if values.get(kind):
                    self._managed[(kind, str(values[kind]))] += 1

    @classmethod
    def of(cls, users: Iterable[WorkspaceUser], custom_schema: str, external_id_type: str) -> Snapshot:
        """A snapshot of users already in hand (as if listed in one page)."""
        listed = UserSnapshot()
        listed.add_page([u.model_dump(by_alias=True, exclude_none=True, mode="json") for u in users])
        return cls(listed, custom_schema, external_id_type)

    def __len__(self) -> int:
        return len(self._users)

    def find(self, address: str, user_id: str | None = None) -> WorkspaceUser | None:
        return self._users.find(address, user_id)

    def managed_in(self, scope: Scope) -> int:
        """Accounts linked to Sofia Plus (not admins) whose schema places them in the scope."""
        return self._managed[(scope.kind, scope.code)]


def roster_record(person: RosterPerson, at: datetime) -> PersonRecord:
    """The roster's facts about a person as a record, every field dated at the export.

    Exactly the fold of the webhooks that would state the same facts (one per enrollment and
    a ``roles_changed``; the tests hold the two equal), built in one step because a roster
    has a hundred thousand people and folding costs an event validation per fact.
    """
    at = at.astimezone(UTC)
    facts = person.facts
    enrollments = tuple(EnrollmentRecord.from_payload(e, at) for e in person.enrollments)
    times = dict.fromkeys((DOCUMENT, NAMES, PERSONAL_EMAIL, MOBILE, BIRTH_DATE, ROLES), at)
    times.update((enrollment_field(e.ficha), at) for e in enrollments)
    return PersonRecord(
        document_type=person.person.document_type,
        document_number=facts.document_number,
        first_names=facts.first_names,
        last_names=facts.last_names,
        personal_email=facts.personal_email,
        mobile_e164=facts.mobile_e164,
        birth_date=person.person.birth_date,
        roles=frozenset(person.roles),
        enrollments=enrollments,
        field_times=times,
        ever_instructor=Role.INSTRUCTOR in person.roles,
        instructor_fichas=frozenset(person.instructor_fichas),
    )


def absent_record(record: PersonRecord, scope: Scope, settings: PolicySettings, at: datetime) -> PersonRecord:
    """``record`` after the export said nothing of the person: in-scope active enrollments end
    (and, for a full export, the Instructor role goes)."""
    result = record
    for enrollment in record.enrollments:
        if enrollment.status in settings.active_statuses and _in_scope(enrollment, scope):
            result = apply_event(result, _ended(result, enrollment, at))
    if scope.kind == "all" and Role.INSTRUCTOR in result.roles:
        remaining = sorted(result.roles - {Role.INSTRUCTOR})
        event = RolesChanged.model_validate(
            {"occurred_at": at, "data": {"person": _payload(result), "roles": remaining,
                                         "previous_roles": sorted(result.roles)}}
        )  # fmt: skip
        result = apply_event(result, event)
    return result


def _in_scope(enrollment: EnrollmentRecord, scope: Scope) -> bool:
    if scope.kind == "all":
        return True
    code = enrollment.regional_code if scope.kind == "regional" else enrollment.centro_code
    return code == scope.code


def _payload(record: PersonRecord) -> dict[str, object]:
    return {
        "document_type": record.document_type.value,
        "document_number": record.document_number,
        "first_names": record.first_names,
        "last_names": record.last_names,
        "personal_email": record.personal_email,
        "mobile_phone": record.mobile_e164,
        "birth_date": record.birth_date,
    }


def _ended(record: PersonRecord, enrollment: EnrollmentRecord, at: datetime) -> Event:
    payload = {
        "ficha": enrollment.ficha,
        "program": {"code": enrollment.program_code, "version": "", "name": enrollment.program_name,
                    "level": enrollment.program_level},
        "centro": {"code": enrollment.centro_code, "name": enrollment.centro_name},
        "regional": {"code": enrollment.regional_code, "name": enrollment.regional_name},
        "modality": enrollment.modality.value,
        "status": ABSENT_STATUS.value,
        "start_date": enrollment.start_date,
        "end_date": enrollment.end_date,
    }  # fmt: skip
    return EnrollmentStatusChanged.model_validate(
        {"occurred_at": at, "data": {"person": _payload(record), "enrollment": payload}}
    )


def _known_in_scope(known: KnownPerson, scope: Scope, settings: PolicySettings) -> bool:
    """A person misena manages whose active enrollments (or instructor role) the scope covers."""
    if known.excluded or known.google_user_id is None:
        return False
    active = [e for e in known.record.enrollments if e.status in settings.active_statuses]
    if any(_in_scope(e, scope) for e in active):
        return True
    return scope.kind == "all" and Role.INSTRUCTOR in known.record.roles


_PRIORITY = [
    PlanAction.CREATE,
    PlanAction.RENAME,
    PlanAction.SUSPEND,
    PlanAction.REACTIVATE,
    PlanAction.MOVE,
    PlanAction.UPDATE,
    PlanAction.GROUPS,
]


def plan_person(
    key: str,
    merged: PersonRecord,
    known: KnownPerson | None,
    snapshot: Snapshot,
    settings: PolicySettings,
    now: datetime,
    source: Source,
) -> PlanItem:
    """The same decision the reconcile job would take, against the snapshot."""
    if known is not None and known.excluded:
        return PlanItem(key, PlanAction.LEFT_ALONE, "excluded from management by IT staff", source)
    desired = desired_account(merged, settings, now)
    if desired is None:
        return PlanItem(key, PlanAction.UNCHANGED, "nothing warrants an account", source)
    actual = snapshot.find(desired.primary_email, known.google_user_id if known else None)
    if actual is None:
        domain = settings.domain
        for _, number in sorted(desired.former_documents):
            actual = snapshot.find(f"{number}@{domain}")
            if actual is not None:
                break
    found: list[tuple[PlanAction, str]] = []
    for action in plan(desired, actual, we_suspended=known.suspended_by_misena if known else False):
        if isinstance(action, RefuseForeignAccount):
            return PlanItem(key, PlanAction.LEFT_ALONE, f"conflict: {action.reason}", source)
        if isinstance(action, LeaveSuspended):
            return PlanItem(key, PlanAction.LEFT_ALONE, action.reason, source)
        found.append(_classify(action))
    if actual is not None:
        groups = plan_groups(desired, known.group_memberships if known else None)
        if groups:
            found.append((PlanAction.GROUPS, f"{len(groups)} ficha group change(s)"))
    if source is Source.ABSENT and (desired.suspended or desired.review_at is not None):
        found.insert(0, (PlanAction.SUSPEND, f"absent from the roster: {desired.standing_reason}"))
    if not found:
        return PlanItem(key, PlanAction.UNCHANGED, "", source)
    found.sort(key=lambda item: _PRIORITY.index(item[0]))
    return PlanItem(key, found[0][0], "; ".join(detail for _, detail in found), source, merged)


def _classify(action: object) -> tuple[PlanAction, str]:
    if isinstance(action, CreateAccount):
        return PlanAction.CREATE, f"create in {action.desired.org_unit_path}"
    if isinstance(action, SuspendAccount):
        return PlanAction.SUSPEND, action.reason
    if isinstance(action, ReactivateAccount):
        return PlanAction.REACTIVATE, action.reason
    assert isinstance(action, UpdateAccount)  # noqa: S101 - the remaining planner action
    if action.changes.primary_email is not None:
        return PlanAction.RENAME, "rename (document change)"
    if action.changes.org_unit_path is not None:
        return PlanAction.MOVE, f"move to {action.changes.org_unit_path}"
    return PlanAction.UPDATE, "update " + ", ".join(action.reasons)


def with_roster_facts(mine: PersonRecord | None, person: RosterPerson, at: datetime) -> PersonRecord:
    """misena's record with the roster's facts merged in (the newer wins, as for events).

    A fact the roster merely restates keeps the date misena has for it: an export repeating
    ``CANCELADO`` every night must not restart the grace period that began when the status
    really changed. A roster that restates everything leaves the record as it is.
    """
    if mine is None:
        return roster_record(person, at)
    same = {
        stated.ficha: known
        for stated in person.enrollments
        if (known := mine.enrollment(stated.ficha)) is not None and known.states(stated)
    }
    if len(same) == len(person.enrollments) and _same_person_facts(mine, person):
        return mine  # the usual case, told without building the roster's record
    from_roster = roster_record(person, at)
    if same:
        times = {**from_roster.field_times, **{enrollment_field(f): e.status_at for f, e in same.items()}}
        enrollments = tuple(same.get(e.ficha, e) for e in from_roster.enrollments)
        from_roster = from_roster.model_copy(update={"enrollments": enrollments, "field_times": times})
    return merge_records(mine, from_roster)


def _same_person_facts(mine: PersonRecord, person: RosterPerson) -> bool:
    """Whether the roster's person fields, roles and instructor fichas are misena's already."""
    facts = person.facts
    return (
        (mine.document_type, mine.document_number, mine.first_names, mine.last_names)
        == (person.person.document_type, facts.document_number, facts.first_names, facts.last_names)
        and (mine.personal_email, mine.mobile_e164, mine.birth_date)
        == (facts.personal_email, facts.mobile_e164, person.person.birth_date)
        and mine.roles == person.roles
        and mine.instructor_fichas == person.instructor_fichas
    )


def plan_bulk(
    roster: Mapping[str, RosterPerson],
    known: Iterable[tuple[str, KnownPerson]],
    snapshot: Snapshot,
    *,
    scope: Scope,
    settings: PolicySettings,
    safety: SafetySettings,
    now: datetime,
    exported_at: datetime,
    refused_keys: frozenset[str] = frozenset(),
    truncated_at_line: int | None = None,
) -> BulkPlan:
    """``roster``: the export's people in ``scope``; ``known``: misena's people, by key.

    ``known`` is consumed once, as a stream: at SENA's size misena's records do not all fit
    in memory beside the roster and the snapshot. Items come in roster order, then the
    people the export left out.
    """
    listed: dict[str, PlanItem] = {}
    absent: list[PlanItem] = []
    for key, mine in known:
        person = roster.get(key)
        if person is not None:
            merged = with_roster_facts(mine.record, person, exported_at)
            listed[key] = plan_person(key, merged, mine, snapshot, settings, now, Source.ROSTER)
        elif key not in refused_keys and _known_in_scope(mine, scope, settings):
            ended = absent_record(mine.record, scope, settings, exported_at)
            absent.append(plan_person(key, ended, mine, snapshot, settings, now, Source.ABSENT))
    items = [
        listed.get(key)
        or plan_person(key, roster_record(person, exported_at), None, snapshot, settings, now, Source.ROSTER)
        for key, person in roster.items()
    ]
    items.extend(absent)
    counts: dict[str, int] = {action.value: 0 for action in PlanAction}
    for item in items:
        counts[item.action.value] += 1
    result = BulkPlan(str(scope), items, snapshot.managed_in(scope), len(roster), counts=counts)
    result.refusal = _refusal(result, safety, truncated_at_line)
    return result


def _refusal(result: BulkPlan, safety: SafetySettings, truncated_at_line: int | None) -> Refusal | None:
    scope = result.scope
    if result.roster_people == 0:
        return Refusal(
            "empty",
            f"El reporte no trae ninguna persona del alcance {scope}: aplicarlo suspendería a todos.",
            f"The roster has nobody in scope {scope}: applying it would suspend everyone.",
        )
    if truncated_at_line is not None:
        return Refusal(
            "truncated",
            f"El reporte parece truncado: su última fila (línea {truncated_at_line}) está incompleta.",
            f"The roster looks truncated: its last row (line {truncated_at_line}) is incomplete.",
        )
    managed = max(result.managed_in_scope, 1)
    share = result.suspensions / managed
    if result.suspensions and share > safety.max_suspension_share:
        limit = safety.max_suspension_share
        return Refusal(
            "too_many_suspensions",
            f"El plan suspendería {result.suspensions} de {result.managed_in_scope} cuentas gestionadas "
            f"del alcance {scope} ({share:.1%}), más que el límite de {limit:.1%}. Revise el reporte; "
            f"si es correcto, aplíquelo confirmando {result.suspensions}.",
            f"The plan would suspend {result.suspensions} of {result.managed_in_scope} managed accounts "
            f"in scope {scope} ({share:.1%}), above the {limit:.1%} limit. Check the export; if it is "
            f"right, apply it confirming {result.suspensions}.",
        )
    return None
