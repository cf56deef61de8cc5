"""What IT staff may do to a person, a job or a held suspension — each change and its audit
entry in one transaction, so there is never a change without its record, nor a record of a
change that did not happen.

Changes to Google are not made here: they are recorded as the person's desired state
(``staff_suspended``, ``excluded``) or as queued work, and the worker's reconcile applies
them like everything else. A conflicting request (suspending the suspended, resending to a
person with no account) is refused with 409 and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.clock import Clock
from app.credentials.delivery import request_new_credentials
from app.db.models import Job, Person, SuspensionHold
from app.db.states import AccountStatus, DeliveryReason, HoldState, JobKind, JobState
from app.errors import ConflictError, not_found
from app.jobs.outbox import enqueue
from app.jobs.queue import retry_job
from app.logging_setup import get_logger
from app.people import repository as people
from app.staff.audit import record as audit
from app.texts import Text

log = get_logger(__name__)
#: The jobs IT staff may retry one by one (``retry_dead`` takes the dead ones).
RETRIABLE = (JobState.DEAD, JobState.CANCELLED)


#: What IT staff look up by id, and how Spanish says there is none.
_EXCLUDED = Text("The person is excluded from management; include them first.")


class StaffActions:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    # -- people --------------------------------------------------------------------------

    def _person_action(
        self,
        person_id: int,
        actor: str,
        action: str,
        reason: str | None,
        change: Callable[[Session, Person, datetime], dict[str, Any] | None],
    ) -> None:
        now = self._clock()
        with self._sessions.begin() as session:
            person = people.lock(session, person_id)
            if person is None:
                raise not_found("person")
            details = change(session, person, now)
            audit(
                session,
                actor=actor,
                action=action,
                at=now,
                person_id=person_id,
                reason=reason,
                details=details,
            )
        log.info("staff_action", action=action, person_id=person_id, actor=actor)

    def reconcile(self, person_id: int, actor: str, reason: str | None) -> None:
        def change(session: Session, person: Person, now: datetime) -> None:
            if person.excluded:
                raise ConflictError(_EXCLUDED)
            enqueue(session, JobKind.RECONCILE, person.id, now=now)

        self._person_action(person_id, actor, "person.reconcile", reason, change)

    def resend_credentials(self, person_id: int, actor: str, reason: str) -> None:
        def change(session: Session, person: Person, now: datetime) -> dict[str, Any]:
            if person.excluded:
                raise ConflictError(_EXCLUDED)
            if person.primary_email is None:
                raise ConflictError(
                    Text("The person has no account yet; credentials go out when it is created.")
                )
            if not people.record_of(person).personal_email:
                raise ConflictError(Text("There is no personal email on record to send the credentials to."))
            delivery = request_new_credentials(
                session, person, person.primary_email, DeliveryReason.STAFF_RESET, now
            )
            return {"delivery_id": delivery.id}

        self._person_action(person_id, actor, "person.resend_credentials", reason, change)

    def suspend(self, person_id: int, actor: str, reason: str) -> None:
        def change(session: Session, person: Person, now: datetime) -> None:
            if person.excluded:
                raise ConflictError(
                    Text("The person is excluded from management; misena does not touch the account.")
                )
            if person.staff_suspended:
                raise ConflictError(Text("The account is already suspended by IT staff."))
            if person.primary_email is None:
                raise ConflictError(Text("The person has no account to suspend."))
            person.staff_suspended, person.staff_reason = True, reason
            enqueue(session, JobKind.RECONCILE, person.id, now=now)

        self._person_action(person_id, actor, "person.suspend", reason, change)

    def unsuspend(self, person_id: int, actor: str, reason: str | None) -> None:
        """Lift IT staff's suspension, or take over one made outside misena (the console);
        the lifecycle still decides — a withdrawn apprentice stays suspended."""

        def change(session: Session, person: Person, now: datetime) -> dict[str, Any]:
            outside = person.account_status == AccountStatus.SUSPENDED_OUTSIDE
            if not person.staff_suspended and not outside:
                state = person.status_reason or person.account_status
                raise ConflictError(
                    Text(
                        "The account is not suspended by IT staff nor outside misena; "
                        "its state follows Sofia Plus ({state}).",
                        state=state,
                    )
                )
            person.staff_suspended, person.staff_reason = False, None
            if outside:
                person.suspended_by_misena = True  # misena may now reactivate it
            enqueue(session, JobKind.RECONCILE, person.id, now=now)
            return {"was": "suspended outside misena" if outside else "suspended by IT staff"}

        self._person_action(person_id, actor, "person.unsuspend", reason, change)

    def exclude(self, person_id: int, actor: str, reason: str) -> None:
        def change(session: Session, person: Person, now: datetime) -> None:
            if person.excluded:
                raise ConflictError(Text("The person is already excluded from management."))
            person.excluded = True

        self._person_action(person_id, actor, "person.exclude", reason, change)

    def include(self, person_id: int, actor: str, reason: str | None) -> None:
        def change(session: Session, person: Person, now: datetime) -> None:
            if not person.excluded:
                raise ConflictError(Text("The person is not excluded."))
            person.excluded = False
            enqueue(session, JobKind.RECONCILE, person.id, now=now)

        self._person_action(person_id, actor, "person.include", reason, change)

    # -- jobs ----------------------------------------------------------------------------

    def retry_job(self, job_id: int, actor: str, reason: str | None) -> None:
        now = self._clock()
        with self._sessions.begin() as session:
            job = session.get(Job, job_id, with_for_update=True)
            if job is None:
                raise not_found("job")
            if job.state not in RETRIABLE:
                raise ConflictError(
                    Text("Only dead or cancelled jobs are retried; this one is {state}.", state=job.state)
                )
            retry_job(session, job.id, now=now, states=RETRIABLE)
            audit(session, actor=actor, action="job.retry", at=now, person_id=job.person_id,
                  target=f"job:{job.id}", reason=reason)  # fmt: skip

    def retry_dead(self, actor: str, reason: str | None) -> int:
        now = self._clock()
        with self._sessions.begin() as session:
            dead = list(session.scalars(select(Job.id).where(Job.state == JobState.DEAD).order_by(Job.id)))
            retried = [job_id for job_id in dead if retry_job(session, job_id, now=now)]
            audit(session, actor=actor, action="job.retry_dead", at=now, reason=reason,
                  details={"jobs": retried})  # fmt: skip
        return len(retried)

    def cancel_job(self, job_id: int, actor: str, reason: str | None) -> None:
        now = self._clock()
        with self._sessions.begin() as session:
            job = session.get(Job, job_id, with_for_update=True)
            if job is None:
                raise not_found("job")
            if job.state != JobState.PENDING:
                raise ConflictError(
                    Text("Only pending jobs can be cancelled; this one is {state}.", state=job.state)
                )
            job.state, job.finished_at, job.updated_at = JobState.CANCELLED, now, now
            job.last_error = f"cancelled by {actor}"
            audit(session, actor=actor, action="job.cancel", at=now, person_id=job.person_id,
                  target=f"job:{job.id}", reason=reason)  # fmt: skip

    # -- held suspensions ----------------------------------------------------------------

    def decide_holds(
        self, hold_ids: Sequence[int] | None, release: bool, actor: str, reason: str | None
    ) -> int:
        """Release (suspend now) or discard held suspensions; ``None`` means every held one."""
        now = self._clock()
        state = HoldState.RELEASED if release else HoldState.DISCARDED
        with self._sessions.begin() as session:
            statement = select(SuspensionHold).where(SuspensionHold.state == HoldState.HELD).with_for_update()
            if hold_ids is not None:
                wanted = set(hold_ids)
                found = set(session.scalars(select(SuspensionHold.id).where(SuspensionHold.id.in_(wanted))))
                if found != wanted:
                    raise not_found("held suspension")
                statement = statement.where(SuspensionHold.id.in_(wanted))
            holds = list(session.scalars(statement))
            if hold_ids is not None and len(holds) != len(set(hold_ids)):
                raise ConflictError(Text("Some of these suspensions are no longer held."))
            for hold in holds:
                hold.state, hold.decided_at, hold.decided_by = state, now, actor
                # released: the reconcile suspends; discarded: it records why it does not
                enqueue(session, JobKind.RECONCILE, hold.person_id, now=now)
                audit(session, actor=actor, action=f"suspension.{'release' if release else 'discard'}",
                      at=now, person_id=hold.person_id, target=f"hold:{hold.id}", reason=reason)  # fmt: skip
        log.info("suspension_holds_decided", state=state, count=len(holds), actor=actor)
        return len(holds)
