"""Bulk sync runs: plan a roster against misena's records and a Directory snapshot, store the
plan, and apply it as ordinary reconcile jobs — resumably.

Planning reads Google once (the snapshot) and changes nothing. Applying stores each pending
item's roster facts on the person (merged field by field, like an event) and queues that
person's reconcile, 500 items per transaction with the item marked applied in the same
transaction: an interrupted apply is re-run and picks up exactly where it stopped, and the
worker applies the changes paced at Google's limits, like any other job.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts import approvals
from app.clock import Clock
from app.db.models import Job, Person, SyncItem, SyncRun
from app.db.states import JobKind, JobState, SyncItemState, SyncRunStatus
from app.errors import ConflictError, FieldProblem, NotFoundError
from app.jobs.outbox import enqueue
from app.logging_setup import get_logger
from app.people import repository as people
from app.settings import Settings
from app.staff.audit import record as audit
from app.sync.known_people import known_people
from app.sync.plan_costs import Phases, few_collections
from app.sync.roster_input import load, parse_scope, roster_error_entry
from app.texts import Rendered, Text
from sofia_sync.bulk_plan import BulkPlan, PlanAction, PlanItem, SafetySettings, plan_bulk
from sofia_sync.directory_snapshot import ManagedPlaces, Snapshot
from sofia_sync.normalize import mask_document
from sofia_sync.person import PersonRecord, merge_records
from sofia_sync.roster import Roster, Scope
from workspace.ports import Directory

log = get_logger(__name__)
SYNC_ITEMS = cast("Table", SyncItem.__table__)
BATCH = 500
ERRORS_KEPT = 1000
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ApplyResult:
    run_id: int
    applied: int
    remaining: int


class SyncRuns:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        directory: Directory,
        clock: Clock,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._directory = directory
        self._clock = clock

    # -- plan ------------------------------------------------------------------------------

    def plan(
        self,
        source: Path | BinaryIO,
        *,
        scope: str,
        actor: str,
        source_name: str,
        exported_at: datetime | None = None,
    ) -> int:
        """Plan and store a run; returns its id. Nothing changes in Google or in people."""
        chosen = parse_scope(scope)
        now = self._clock()
        phases = Phases()
        with few_collections():
            roster, plan, calls = self._plan(source, chosen, now, exported_at or now, phases)
            with phases("store"):
                run_id = self._store(plan, roster, calls, actor, source_name, exported_at or now, now)
        log.info(
            "sync_planned",
            run_id=run_id,
            scope=str(chosen),
            counts=plan.counts,
            refused=plan.refusal is not None,
            directory_calls=calls,
            seconds=phases.seconds,
        )
        return run_id

    def _plan(
        self, source: Path | BinaryIO, scope: Scope, now: datetime, exported_at: datetime, phases: Phases
    ) -> tuple[Roster, BulkPlan, int]:
        """The plan, the roster without its people and the Directory calls spent. The people
        and the snapshot (most of a plan's memory) are gone when this returns, before storing."""
        policy = self._settings.policy
        cancel = threading.Event()
        # Google's per-page latency overlaps with reading the roster (CPU): the snapshot runs
        # in the background from the start, and stops early if the roster cannot be read.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-snapshot") as pool:
            listing = pool.submit(
                self._directory.snapshot_users,
                custom_schema=policy.custom_schema,
                workers=self._settings.sync_snapshot_workers,
                cancel=cancel,
                tally=ManagedPlaces(policy.custom_schema, policy.external_id_type),
            )
            try:
                with phases("roster"):
                    roster = load(source)
                with phases("snapshot_wait"):
                    listed = listing.result()
            except BaseException:
                cancel.set()
                raise
        with phases("plan"), self._sessions() as session:
            plan = plan_bulk(
                roster.in_scope(scope),
                known_people(session),
                Snapshot(listed, policy.custom_schema, policy.external_id_type),
                scope=scope,
                settings=policy,
                safety=SafetySettings(self._settings.sync_max_suspension_share),
                now=now,
                exported_at=exported_at,
                refused_keys=roster.refused_keys,
                truncated_at_line=roster.truncated_at,
            )
        return replace(roster, people={}), plan, listed.calls

    def _store(
        self,
        plan: BulkPlan,
        roster: Roster,
        calls: int,
        actor: str,
        source_name: str,
        exported_at: datetime,
        now: datetime,
    ) -> int:
        refusal = Text.of(plan.refusal.message) if plan.refusal else None
        with self._sessions.begin() as session:
            run = SyncRun(
                created_at=now,
                created_by=actor,
                scope=plan.scope,
                source_name=source_name[:300],
                exported_at=exported_at,
                status=SyncRunStatus.REFUSED if refusal else SyncRunStatus.PLANNED,
                counts=plan.counts,
                roster_rows=roster.rows_read,
                roster_people=plan.roster_people,
                bad_rows=roster.bad_rows,
                roster_errors=[
                    roster_error_entry(e.line, Text.of(e.message), e.kept)
                    for e in roster.errors[:ERRORS_KEPT]
                ],
                managed_in_scope=plan.managed_in_scope,
                suspensions=plan.suspensions,
                directory_calls=calls,
                refusal_code=plan.refusal.code if plan.refusal else None,
                refusal_es=refusal.es if refusal else None,
                refusal_en=refusal.en if refusal else None,
            )
            session.add(run)
            session.flush()
            # Core's executemany, not the ORM's bulk insert: the ORM's per-row bookkeeping was
            # half of storing a 100,000-item plan. A chunk at a time: memory stays flat.
            for start in range(0, len(plan.items), 5000):
                rows = [
                    {
                        "run_id": run.id,
                        "person_key": item.person_key,
                        "action": item.action.value,
                        **_review(item),
                        "source": item.source.value,
                        "state": SyncItemState.PENDING if _actionable(item.action) else SyncItemState.SKIPPED,
                        "record": item.record.model_dump(mode="json")
                        if item.record is not None and _actionable(item.action)
                        else None,
                    }
                    for item in plan.items[start : start + 5000]
                ]
                session.execute(insert(SYNC_ITEMS), rows)
            details = {
                "scope": plan.scope,
                "counts": plan.counts,
                "refusal": plan.refusal.code if plan.refusal else None,
            }
            audit(session, actor=actor, action="sync.plan", at=now, target=f"sync:{run.id}", details=details)
            return run.id

    # -- apply -----------------------------------------------------------------------------

    def apply(
        self, run_id: int, *, actor: str, confirm: int | None = None, progress: Progress | None = None
    ) -> ApplyResult:
        """Queue the plan's work; a refused plan needs ``confirm`` equal to its suspensions."""
        self._start(run_id, actor, confirm)
        total = self._count(run_id, None)
        while True:
            done = self._apply_batch(run_id)
            remaining = self._count(run_id, SyncItemState.PENDING)
            if progress is not None:
                progress(total - remaining, total)
            if done == 0 or remaining == 0:
                break
        with self._sessions.begin() as session:
            run = session.get(SyncRun, run_id)
            assert run is not None  # noqa: S101 - checked by _start
            if remaining == 0 and run.status != SyncRunStatus.APPLIED:
                run.status, run.applied_at = SyncRunStatus.APPLIED, self._clock()
        log.info("sync_applied", run_id=run_id, remaining=remaining)
        return ApplyResult(run_id, total - remaining, remaining)

    def _start(self, run_id: int, actor: str, confirm: int | None) -> None:
        now = self._clock()
        with self._sessions.begin() as session:
            run = session.get(SyncRun, run_id, with_for_update=True)
            if run is None:
                raise _no_such_run()
            if run.status == SyncRunStatus.REFUSED:
                if confirm != run.suspensions:
                    raise ConflictError(
                        refusal_text(run),
                        title=Text("The plan was refused"),
                        fields=[
                            FieldProblem(
                                "confirm",
                                Text("must be {suspensions} to apply this plan", suspensions=run.suspensions),
                            )
                        ],
                    )
                run.confirmed_by = actor
            if run.status in (SyncRunStatus.REFUSED, SyncRunStatus.PLANNED):
                run.status = SyncRunStatus.APPLYING
            audit(session, actor=actor, action="sync.apply", at=now, target=f"sync:{run_id}",
                  details={"confirm": confirm, "status": run.status})  # fmt: skip

    def _count(self, run_id: int, state: SyncItemState | None) -> int:
        with self._sessions() as session:
            statement = select(func.count(SyncItem.id)).where(
                SyncItem.run_id == run_id, SyncItem.state != SyncItemState.SKIPPED
            )
            if state is not None:
                statement = statement.where(SyncItem.state == state)
            return int(session.scalar(statement) or 0)

    def _apply_batch(self, run_id: int) -> int:
        now = self._clock()
        with self._sessions.begin() as session:
            run = session.get(SyncRun, run_id)
            confirmed_by = run.confirmed_by if run is not None else None
            items = list(
                session.scalars(
                    select(SyncItem)
                    .where(SyncItem.run_id == run_id, SyncItem.state == SyncItemState.PENDING)
                    .order_by(SyncItem.id)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True)
                )
            )
            for item in items:
                self._apply_item(session, item, now, confirmed_by)
            return len(items)

    def _apply_item(self, session: Session, item: SyncItem, now: datetime, confirmed_by: str | None) -> None:
        """Store the roster's facts and queue the reconcile; a suspension IT staff confirmed
        (``confirmed_by``), now or at the end of a grace period, is pre-released for the
        circuit breaker in the same transaction."""
        item.state, item.applied_at = SyncItemState.APPLIED, now
        if item.record is None:
            return
        record = PersonRecord.model_validate(item.record)  # a sync item's, not a person's row
        person = people.find_by_key(session, item.person_key)
        if person is None:
            person = people.create(session, record, now)
            session.flush()
        else:
            people.save_record(person, merge_records(people.record_of(person), record), now)
        if confirmed_by is not None and item.action in (PlanAction.SUSPEND.value, PlanAction.GRACE.value):
            approvals.pre_release(
                session, person, self._settings.policy, actor=confirmed_by, run_id=item.run_id, now=now
            )
        enqueue(session, JobKind.RECONCILE, person.id, now=now)

    # -- read ------------------------------------------------------------------------------

    def show(self, run_id: int) -> SyncRun:
        """The run as stored (detached); 404 problem if there is none."""
        with self._sessions() as session:
            run = session.get(SyncRun, run_id)
            if run is None:
                raise _no_such_run()
            session.expunge(run)
            return run

    def progress(self, run_id: int) -> dict[str, int]:
        """Items by state, and the run's reconcile jobs still waiting for the worker."""
        with self._sessions() as session:
            states = dict(
                session.execute(
                    select(SyncItem.state, func.count(SyncItem.id))
                    .where(SyncItem.run_id == run_id)
                    .group_by(SyncItem.state)
                ).all()
            )
            keys = select(SyncItem.person_key).where(
                SyncItem.run_id == run_id, SyncItem.state == SyncItemState.APPLIED
            )
            waiting = session.scalar(
                select(func.count(Job.id))
                .join(Person, Person.id == Job.person_id)
                .where(
                    Job.kind == JobKind.RECONCILE,
                    Job.state.in_([JobState.PENDING, JobState.RUNNING]),
                    Person.person_key.in_(keys),
                )
            )
            return {**{k: int(v) for k, v in states.items()}, "jobs_waiting": int(waiting or 0)}

    def export_rows(self, run_id: int) -> Iterator[SyncItem]:
        """The plan's items in order, read 5,000 at a time (memory stays flat)."""
        last = 0
        while True:
            with self._sessions() as session:
                items = list(
                    session.scalars(
                        select(SyncItem)
                        .where(SyncItem.run_id == run_id, SyncItem.id > last)
                        .order_by(SyncItem.id)
                        .limit(5000)
                    )
                )
            if not items:
                return
            yield from items
            last = items[-1].id


def _review(item: PlanItem) -> dict[str, str]:
    """What IT staff review an item by: why in English and in Spanish (from the catalogue),
    the names as the roster gave them, the document masked."""
    reason = Text.of(item.reason)
    _, _, number = item.person_key.partition(":")
    return {
        "detail": reason.en[:1000],
        "detail_es": reason.es[:1000],
        "first_names": item.first_names[:300],
        "last_names": item.last_names[:300],
        "document": mask_document(number)[:24],
    }


def refusal_text(run: SyncRun) -> Rendered:
    """The run's refusal as it was worded when planned, in each language."""
    return Rendered(en=run.refusal_en or "", es=run.refusal_es or "")


def _no_such_run() -> NotFoundError:
    return NotFoundError(Text("No sync run with that id."))


def _actionable(action: PlanAction) -> bool:
    return action not in (PlanAction.UNCHANGED, PlanAction.LEFT_ALONE)
