"""A roster + misena's records + a Directory snapshot → the plan of a bulk sync. Pure.

The roster is one more source of facts, dated at the export: each person's roster record is
merged into misena's record with the same per-field rule as events (the newer wins), then the
*same* policy and planner as the event path decide the account, against the snapshot instead
of a ``get`` per person. People misena manages in the scope but absent from the export are
treated as if their in-scope enrollments ended at the export (the lifecycle's grace period
applies): those whose grace has run out are suspended now (``suspend``), those still inside it
are counted apart (``grace``: the reconcile suspends them when it ends unless Sofia Plus lists
them again). Both are what the safety check weighs. How roster facts become dated records is
:mod:`sofia_sync.roster_records`.

Each item says why as a :class:`~sofia_sync.messages.Message` (``reason``; ``detail`` is its
English) and carries the person's names as the roster gave them (misena's record's, for a
person the export left out), for IT staff to review the plan by name.

The preview is what the reconcile the apply queues will do: it weighs what the reconcile
weighs besides the record — IT staff's exclusion and suspension (through the policy), and IT
staff's decision on a suspension the circuit breaker held (:mod:`sofia_sync.held_suspensions`).

Safety: a plan is refused — until applied with a confirmation naming the number of
suspensions — when the scope has nobody in the roster, when the file looks truncated, or when
the suspensions exceed a share of the scope's managed accounts. The refusal says why as a
:class:`~sofia_sync.messages.Message` that app translates (Spanish for IT staff, English for
logs and the API).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from sofia_sync.account_lookup import find_account
from sofia_sync.contract import Role
from sofia_sync.directory_snapshot import Snapshot
from sofia_sync.held_suspensions import LatestHold, previewed, staff_decision
from sofia_sync.messages import Message
from sofia_sync.person import PersonRecord
from sofia_sync.planner import (
    CreateAccount,
    LeaveExcluded,
    LeaveSuspended,
    ReactivateAccount,
    RefuseForeignAccount,
    SuspendAccount,
    UpdateAccount,
    plan,
    plan_groups,
)
from sofia_sync.policy import (
    AccountDecision,
    DesiredAccount,
    LeftAlone,
    NoAccount,
    PolicySettings,
    StaffSuspension,
    decide_account,
)
from sofia_sync.roster import RosterPerson, Scope
from sofia_sync.roster_records import (
    absent_record,
    endings_undated,
    in_scope,
    with_roster_facts,
)
from workspace.models import WorkspaceUser

__all__ = [
    "BulkPlan",
    "KnownPerson",
    "PlanAction",
    "PlanItem",
    "Refusal",
    "SafetySettings",
    "Source",
    "decision_of",
    "plan_bulk",
    "plan_person",
]


class PlanAction(StrEnum):
    CREATE = "create"
    RENAME = "rename"
    SUSPEND = "suspend"
    #: Absent from the roster, still inside the grace period: suspended when it ends.
    GRACE = "grace"
    REACTIVATE = "reactivate"
    MOVE = "move"
    UPDATE = "update"
    GROUPS = "groups"
    LEFT_ALONE = "left_alone"
    UNCHANGED = "unchanged"


class Source(StrEnum):
    ROSTER = "roster"
    ABSENT = "absent"


@dataclass(frozen=True, slots=True)  # slots: no __dict__ per person, 100,000 at a time
class KnownPerson:
    """What misena holds about a person, as far as the plan needs it."""

    record: PersonRecord
    excluded: bool = False
    suspended_by_misena: bool = False
    group_memberships: dict[str, str] | None = None
    google_user_id: str | None = None
    #: IT staff's suspension, which overrides Sofia Plus until they lift it.
    staff: StaffSuspension | None = None
    #: The person's latest suspension held by the circuit breaker (not obsolete), if any.
    hold: LatestHold | None = None


@dataclass(frozen=True, slots=True)  # slots: a plan holds one per person until it is stored
class PlanItem:
    person_key: str
    action: PlanAction
    reason: Message
    source: Source
    #: The record to store when applying (roster facts merged in); ``None``: nothing to store.
    record: PersonRecord | None = None
    #: The names as the roster gave them (misena's record's for an absent person): references
    #: to strings the roster or the record holds already, not copies.
    first_names: str = field(default="", compare=False)
    last_names: str = field(default="", compare=False)

    @property
    def detail(self) -> str:
        """Why, in English."""
        return self.reason.en


@dataclass(frozen=True)
class Refusal:
    """Why a plan is refused: a code for machines, a message for people."""

    code: str
    message: Message


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
        """The suspensions the plan makes, now or when the grace of the people it leaves out
        ends: what the safety check weighs and a confirmation must name."""
        return self.counts.get(PlanAction.SUSPEND.value, 0) + self.counts.get(PlanAction.GRACE.value, 0)


@dataclass(frozen=True)
class SafetySettings:
    #: Refuse plans whose suspensions exceed this share of the scope's managed accounts.
    max_suspension_share: float = 0.05


def _known_in_scope(known: KnownPerson, scope: Scope, settings: PolicySettings) -> bool:
    """A person misena manages whose active enrollments (or instructor role) the scope covers."""
    if known.excluded or known.google_user_id is None:
        return False
    active = [e for e in known.record.enrollments if e.status in settings.active_statuses]
    if any(in_scope(e, scope) for e in active):
        return True
    return scope.kind == "all" and Role.INSTRUCTOR in known.record.roles


_PRIORITY = [
    PlanAction.CREATE,
    PlanAction.RENAME,
    PlanAction.SUSPEND,
    PlanAction.GRACE,
    PlanAction.REACTIVATE,
    PlanAction.MOVE,
    PlanAction.UPDATE,
    PlanAction.GROUPS,
]


def decision_of(
    record: PersonRecord, known: KnownPerson | None, settings: PolicySettings, now: datetime
) -> AccountDecision:
    """The plan's decision of the account: the reconcile's
    (:func:`~sofia_sync.policy.decide_account`), with what misena holds of IT staff's
    exclusion and suspension (nothing, for a person misena does not know yet)."""
    if known is None:
        return decide_account(record, settings, now)
    return decide_account(record, settings, now, excluded=known.excluded, staff=known.staff)


def plan_person(
    key: str,
    merged: PersonRecord,
    known: KnownPerson | None,
    snapshot: Snapshot,
    settings: PolicySettings,
    now: datetime,
    source: Source,
) -> PlanItem:
    """The same decision the reconcile job would take, against the snapshot: the same
    decision of the account (:func:`~sofia_sync.policy.decide_account`: IT staff's exclusion
    and suspension included), the same way of finding it, the same planner and
    circuit-breaker decisions."""
    desired = decision_of(merged, known, settings, now)
    if isinstance(desired, LeftAlone):
        return PlanItem(key, PlanAction.LEFT_ALONE, _EXCLUDED, source)
    if isinstance(desired, NoAccount):
        return PlanItem(key, PlanAction.UNCHANGED, _NOTHING_WARRANTS, source)
    google_user_id = known.google_user_id if known else None
    actual = find_account(snapshot.get, desired, google_user_id, settings.domain)
    found: list[tuple[PlanAction, Message]] = []
    held_back: list[Message] = []
    actions = plan(desired, actual, we_suspended=known.suspended_by_misena if known else False)
    for action in actions:
        if isinstance(action, RefuseForeignAccount | LeaveExcluded | LeaveSuspended):
            return PlanItem(key, PlanAction.LEFT_ALONE, _left_alone(action), source)
    for action in actions:
        if isinstance(action, SuspendAccount) and (note := _held_back(known, action.reason)):
            held_back.append(note)
            continue
        found.append(_classify(action))
    if actual is not None:
        groups = plan_groups(desired, known.group_memberships if known else None)
        if groups:
            found.append((PlanAction.GROUPS, Message("{count} ficha group change(s)", count=len(groups))))
    already = actual is not None and actual.suspended
    if source is Source.ABSENT and not already and not held_back and (ending := _absence(desired)):
        found.insert(0, ending)
    if not found:  # nothing will change: left alone when only IT staff's decision stops it
        if held_back:
            return PlanItem(key, PlanAction.LEFT_ALONE, Message.joined(held_back), source)
        return PlanItem(key, PlanAction.UNCHANGED, _why_unchanged(desired, actual), source)
    found.sort(key=lambda item: _PRIORITY.index(item[0]))
    reason = Message.joined([*(reason for _, reason in found), *held_back])
    return PlanItem(key, found[0][0], reason, source, merged)


_EXCLUDED = Message("excluded from management by IT staff")
_NOTHING_WARRANTS = Message("nothing warrants an account")
_NO_CHANGE = Message.verbatim("")
_RENAME = Message("rename (document change)")


def _absence(desired: DesiredAccount) -> tuple[PlanAction, Message] | None:
    """What being left out of the export does to an account: suspended now when the grace has
    run out, or at the end of the grace period (``review_at``) unless Sofia Plus lists them."""
    if desired.suspended:
        return PlanAction.SUSPEND, Message("absent from the roster: {reason}", reason=desired.standing_reason)
    if desired.review_at is not None:
        grace = Message(
            "absent from the roster: in grace until {date}, then suspended ({reason})",
            date=desired.review_at.date().isoformat(),
            reason=desired.standing_reason,
        )
        return PlanAction.GRACE, grace
    return None


def _held_back(known: KnownPerson | None, reason: str) -> Message | None:
    """Why the reconcile will not make this suspension: IT staff's decision on a held one."""
    if known is None or known.staff is not None:  # a staff suspension never meets the brake
        return None
    return previewed(staff_decision(known.hold, reason), reason)


def _left_alone(action: RefuseForeignAccount | LeaveExcluded | LeaveSuspended) -> Message:
    """Says, as the person's page does (``account_status``), whether it is a conflict."""
    if isinstance(action, RefuseForeignAccount):
        return Message("conflict: {reason}", reason=action.reason)
    if isinstance(action, LeaveExcluded):
        return Message("excluded: {reason}", reason=action.reason)
    return Message.verbatim(action.reason)


def _why_unchanged(desired: DesiredAccount, actual: WorkspaceUser | None) -> Message:
    if actual is None:
        return Message("no account created: {reason}", reason=desired.standing_reason)
    if desired.suspended and actual.suspended:
        return Message("stays suspended: {reason}", reason=desired.standing_reason)
    return _NO_CHANGE


def _classify(action: object) -> tuple[PlanAction, Message]:
    if isinstance(action, CreateAccount):
        return PlanAction.CREATE, Message("create in {org_unit}", org_unit=action.desired.org_unit_path)
    if isinstance(action, SuspendAccount):
        return PlanAction.SUSPEND, Message.verbatim(action.reason)
    if isinstance(action, ReactivateAccount):
        return PlanAction.REACTIVATE, Message.verbatim(action.reason)
    assert isinstance(action, UpdateAccount)  # noqa: S101 - the remaining planner action
    if action.changes.primary_email is not None:
        return PlanAction.RENAME, _RENAME
    if action.changes.org_unit_path is not None:
        return PlanAction.MOVE, Message("move to {org_unit}", org_unit=action.changes.org_unit_path)
    return PlanAction.UPDATE, Message("update {fields}", fields=", ".join(action.reasons))


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
            listed[key] = _listed(key, person, mine, snapshot, settings, now, exported_at)
        elif key not in refused_keys and _known_in_scope(mine, scope, settings):
            ended = absent_record(mine.record, scope, settings, exported_at)
            item = plan_person(key, ended, mine, snapshot, settings, now, Source.ABSENT)
            absent.append(_named(item, mine.record.first_names, mine.record.last_names))
    items = [
        listed.get(key) or _listed(key, person, None, snapshot, settings, now, exported_at)
        for key, person in roster.items()
    ]
    items.extend(absent)
    counts: dict[str, int] = {action.value: 0 for action in PlanAction}
    for item in items:
        counts[item.action.value] += 1
    result = BulkPlan(str(scope), items, snapshot.managed_in(scope), len(roster), counts=counts)
    result.refusal = _refusal(result, safety, truncated_at_line)
    return result


def _listed(
    key: str,
    person: RosterPerson,
    mine: KnownPerson | None,
    snapshot: Snapshot,
    settings: PolicySettings,
    now: datetime,
    exported_at: datetime,
) -> PlanItem:
    """A person the export lists, planned with the roster's facts merged into misena's."""
    merged = with_roster_facts(mine.record if mine else None, person, exported_at)
    item = plan_person(key, merged, mine, snapshot, settings, now, Source.ROSTER)
    if item.action is PlanAction.CREATE:
        undated = endings_undated(merged, mine.record if mine else None, settings, exported_at)
        if undated is not merged:
            item = plan_person(key, undated, mine, snapshot, settings, now, Source.ROSTER)
    return _named(item, person.person.first_names, person.person.last_names)


def _named(item: PlanItem, first_names: str, last_names: str) -> PlanItem:
    return replace(item, first_names=first_names, last_names=last_names)


def _refusal(result: BulkPlan, safety: SafetySettings, truncated_at_line: int | None) -> Refusal | None:
    scope = result.scope
    if result.roster_people == 0:
        return Refusal(
            "empty",
            Message(
                "The roster has nobody in scope {scope}: applying it would suspend everyone.", scope=scope
            ),
        )
    if truncated_at_line is not None:
        return Refusal(
            "truncated",
            Message(
                "The roster looks truncated: its last row (line {line}) is incomplete.",
                line=truncated_at_line,
            ),
        )
    managed = max(result.managed_in_scope, 1)
    share = result.suspensions / managed
    if result.suspensions and share > safety.max_suspension_share:
        return Refusal(
            "too_many_suspensions",
            Message(
                "The plan would suspend {suspensions} of {managed} managed accounts in scope {scope} "
                "({share:.1%}), above the {limit:.1%} limit. Check the export; if it is right, apply it "
                "confirming {suspensions}.",
                suspensions=result.suspensions,
                managed=result.managed_in_scope,
                scope=scope,
                share=share,
                limit=safety.max_suspension_share,
            ),
        )
    return None
