"""The job queue: a table in the service's own database (a transactional outbox).

Callers :func:`~app.jobs.outbox.enqueue` inside their own transaction, so a job exists exactly when the change
that needs it was committed. Workers :meth:`JobQueue.claim` jobs under a lease that expires if
the worker dies; failures go back to the queue with exponential backoff and jitter until
``max_attempts``, then are dead-lettered for IT staff.

Two invariants, enforced by the database rather than by luck:

* **Coalescing** — at most one *pending* job per (person, kind), through the partial unique
  index ``uq_jobs_one_pending``. Reconciling is level-triggered, so ten events about a person
  need one pending reconcile, not ten. A job that is already *running* is outside the index:
  work queued meanwhile gets a new pending row, because the running job may have read the
  person before the change.
* **One worker per person** — a job is not claimable while another job of the same person
  (of any kind) is running under a live lease, so a person is never reconciled by two workers
  at once. On PostgreSQL the claimer locks the *person* rows (``FOR NO KEY UPDATE ... SKIP
  LOCKED``) and re-checks in a fresh statement, so two claimers cannot both pass the check for
  different jobs of one person; on SQLite the ``BEGIN IMMEDIATE`` transaction (see
  :mod:`app.db.engine`) serializes claimers outright.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.clock import Clock
from app.db.models import Person
from app.db.states import JobKind, JobState
from app.jobs.conditions import (
    JOBS,
    claimable,
    lease_expired,
    owned,
    pending_due,
    person_free,
    reclaimable,
)
from app.jobs.outbox import enqueue

__all__ = ["ClaimedJob", "JobQueue", "QueueHealth", "QueueSettings", "retry_job"]

MAX_ERROR_CHARS = 1000


@dataclass(frozen=True)
class QueueSettings:
    lease_seconds: float = 300
    base_backoff: float = 5
    max_backoff: float = 3600
    jitter: float = 0.5  # the delay varies by ± this fraction, so retries of a burst spread out
    #: Attempts a job gets before it is dead-lettered (``MISENA_JOB_MAX_ATTEMPTS``), fixed when
    #: it first runs — whoever queued it (intake, reconcile, staff, a sync run), and again when
    #: IT staff give a dead job a fresh set. ``None``: the column's default (10).
    max_attempts: int | None = None


#: The states every count reports, zero when no job is in them.
REPORTED_STATES: tuple[str, ...] = (JobState.PENDING, JobState.RUNNING, JobState.DONE, JobState.DEAD)


@dataclass(frozen=True)
class QueueHealth:
    """The queue by job kind and state, and how long each kind's longest-waiting due job has
    waited — every kind and every reported state present, zero if none."""

    by_kind: dict[str, dict[str, int]]
    #: Seconds the longest-waiting due pending job of each kind has waited (0 when none is due).
    oldest_due_by_kind: dict[str, float]

    @property
    def counts(self) -> dict[str, int]:
        """Jobs by state, whatever their kind."""
        totals: dict[str, int] = {}
        for states in self.by_kind.values():
            for state, count in states.items():
                totals[state] = totals.get(state, 0) + count
        return totals

    @property
    def oldest_due_seconds(self) -> float:
        return max(self.oldest_due_by_kind.values(), default=0.0)


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: JobKind
    person_id: int
    attempts: int  # including this one
    max_attempts: int


def backoff_seconds(settings: QueueSettings, attempts: int, rng: random.Random) -> float:
    """``base * 2**(attempts-1)`` capped at ``max_backoff``, then scaled by ``1 ± jitter``."""
    exponent = min(max(attempts - 1, 0), 62)  # no float overflow however high attempts goes
    delay = min(settings.max_backoff, settings.base_backoff * 2.0**exponent)
    return delay * (1 + settings.jitter * rng.uniform(-1.0, 1.0))


class JobQueue:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: QueueSettings = QueueSettings(),
        *,
        clock: Clock,
        rng: random.Random | None = None,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._clock = clock
        self._rng = rng or random.Random()

    # -- claiming -----------------------------------------------------------------------------

    def claim(
        self, worker_id: str, *, kinds: Sequence[JobKind] | None = None, limit: int = 1
    ) -> list[ClaimedJob]:
        """Lease up to ``limit`` runnable jobs, at most one per person, and commit."""
        self._dead_letter_abandoned()
        now = self._clock()
        with self._sessions.begin() as session:
            chosen = self._lock_candidates(session, now, kinds, limit)
            if not chosen:
                return []
            rows = session.execute(
                update(JOBS)
                .where(JOBS.c.id.in_(chosen), claimable(now), person_free(now))
                .values(
                    state=JobState.RUNNING,
                    locked_by=worker_id,
                    lease_until=now + timedelta(seconds=self._settings.lease_seconds),
                    attempts=JOBS.c.attempts + 1,
                    updated_at=now,
                    **self._attempts_on_first_run(),
                )
                .returning(JOBS.c.id, JOBS.c.kind, JOBS.c.person_id, JOBS.c.attempts, JOBS.c.max_attempts)
            ).all()
        claimed = [ClaimedJob(r.id, r.kind, r.person_id, r.attempts, r.max_attempts) for r in rows]
        return sorted(claimed, key=lambda job: chosen.index(job.id))

    def _lock_candidates(
        self, session: Session, now: datetime, kinds: Sequence[JobKind] | None, limit: int
    ) -> list[int]:
        """Ids of runnable jobs, one per person, with those people locked against other claimers.

        The lock is what makes the final UPDATE's "no other job of this person is running"
        check trustworthy: the UPDATE is a new statement, so on PostgreSQL it sees every claim
        committed before we got the person's lock. Expired leases go first (they are overdue).
        """
        chosen: list[int] = []
        people: set[int] = set()
        for condition in (reclaimable(now), pending_due(now)):
            statement = (
                select(JOBS.c.id, JOBS.c.person_id)
                .join(Person, Person.id == JOBS.c.person_id)
                .where(condition, person_free(now))
                # run_after alone (no id tie-break): PostgreSQL then walks
                # ix_jobs_state_run_after and stops at `limit` instead of sorting every due
                # job (0.1 ms instead of 26 ms with 20,000 pending).
                .order_by(JOBS.c.run_after)
                .limit(limit)
                .with_for_update(of=Person, skip_locked=True, key_share=True)
            )
            if kinds is not None:
                statement = statement.where(JOBS.c.kind.in_(list(kinds)))
            for job_id, person_id in session.execute(statement):
                if person_id not in people and len(chosen) < limit:
                    people.add(person_id)
                    chosen.append(job_id)
        return chosen

    def _dead_letter_abandoned(self) -> None:
        """A job whose worker died on its last attempt is dead-lettered, not run once more."""
        now = self._clock()
        with self._sessions.begin() as session:
            session.execute(
                update(JOBS)
                .where(lease_expired(now), JOBS.c.attempts >= JOBS.c.max_attempts)
                .values(
                    state=JobState.DEAD,
                    lease_until=None,
                    finished_at=now,
                    updated_at=now,
                    last_error="the worker's lease expired on the last attempt",
                )
            )

    # -- the claimant's side ------------------------------------------------------------------

    def extend_lease(self, job_id: int, worker_id: str) -> bool:
        """Renew a long job's lease; False if the job is no longer ours (someone reclaimed it)."""
        now = self._clock()
        with self._sessions.begin() as session:
            result = session.execute(
                update(JOBS)
                .where(owned(job_id, worker_id))
                .values(
                    lease_until=now + timedelta(seconds=self._settings.lease_seconds),
                    updated_at=now,
                )
                .returning(JOBS.c.id)
            )
            return result.first() is not None

    def complete(self, job_id: int, worker_id: str) -> bool:
        """Mark the job done; a no-op (False) if its lease was lost to another worker."""
        now = self._clock()
        with self._sessions.begin() as session:
            result = session.execute(
                update(JOBS)
                .where(owned(job_id, worker_id))
                .values(state=JobState.DONE, lease_until=None, finished_at=now, updated_at=now)
                .returning(JOBS.c.id)
            )
            return result.first() is not None

    def fail(
        self,
        job_id: int,
        worker_id: str,
        error: str,
        *,
        retryable: bool = True,
        retry_after: float | None = None,
    ) -> JobState | str:
        """Record a failed attempt; returns the job's new state.

        Retryable with attempts left → ``pending`` after backoff (at least ``retry_after``, e.g.
        Google's Retry-After); otherwise → ``dead``. If another pending job of the same person
        and kind was queued while this one ran, this one becomes ``done`` instead: the pending
        one will do the work (reconciling is level-triggered), and two pending rows would break
        coalescing. If the job is no longer ours, nothing changes and its current state is
        returned.
        """
        now = self._clock()
        message = error[:MAX_ERROR_CHARS]
        with self._sessions.begin() as session:
            row = session.execute(
                select(JOBS.c.attempts, JOBS.c.max_attempts).where(owned(job_id, worker_id)).with_for_update()
            ).first()
            if row is None:
                return self._state(session, job_id)
            common = {"lease_until": None, "last_error": message, "updated_at": now}
            if not retryable or row.attempts >= row.max_attempts:
                self._set(session, job_id, state=JobState.DEAD, finished_at=now, **common)
                return JobState.DEAD
            delay = max(retry_after or 0.0, backoff_seconds(self._settings, row.attempts, self._rng))
            due = now + timedelta(seconds=delay)
            if self._repend(session, job_id, run_after=due, **common):
                return JobState.PENDING
            self._set(session, job_id, state=JobState.DONE, finished_at=now, **common)
            return JobState.DONE

    def defer(self, job_id: int, worker_id: str, reason: str, retry_after: float) -> JobState | str:
        """The job waits for a resource (sender capacity), it did not fail: back to pending,
        due in ``retry_after`` seconds, with the attempt its claim counted given back — so
        waiting, however long, never dead-letters it. Returns the new state.

        Coalescing as in :meth:`fail`: if the same work was queued meanwhile, this job is
        closed as ``done`` and the pending one does the work. Not ours: nothing changes.
        """
        now = self._clock()
        with self._sessions.begin() as session:
            row = session.execute(
                select(JOBS.c.attempts).where(owned(job_id, worker_id)).with_for_update()
            ).first()
            if row is None:
                return self._state(session, job_id)
            common = {
                "attempts": max(row.attempts - 1, 0),
                "lease_until": None,
                "last_error": reason[:MAX_ERROR_CHARS],
                "updated_at": now,
            }
            due = now + timedelta(seconds=max(retry_after, 0.0))
            if self._repend(session, job_id, run_after=due, **common):
                return JobState.PENDING
            self._set(session, job_id, state=JobState.DONE, finished_at=now, **common)
            return JobState.DONE

    def counts(self) -> dict[str, int]:
        """Jobs by state (every state present, zero if none) — for metrics and the API."""
        return self.health().counts

    def health(self) -> QueueHealth:
        """Jobs by kind and state and how long each kind's oldest due job has waited (``/readyz``,
        metrics), in one grouped query whatever the number of kinds.

        The wait counts from when the job became due (``run_after``), not from its creation: a
        retry scheduled for an hour from now is not a backlog, a job due an hour ago is.
        """
        now = self._clock()
        oldest_due = func.min(case((pending_due(now), JOBS.c.run_after)))
        statement = select(JOBS.c.kind, JOBS.c.state, func.count(), oldest_due).group_by(
            JOBS.c.kind, JOBS.c.state
        )
        by_kind: dict[str, dict[str, int]] = {kind: dict.fromkeys(REPORTED_STATES, 0) for kind in JobKind}
        oldest: dict[str, float] = dict.fromkeys(JobKind, 0.0)
        with self._sessions() as session:
            rows = session.execute(statement).all()
        for kind, state, count, due in rows:
            by_kind.setdefault(kind, dict.fromkeys(REPORTED_STATES, 0))[state] = int(count)
            if due is not None:
                oldest[kind] = max(oldest.get(kind, 0.0), (now - due).total_seconds(), 0.0)
        return QueueHealth(by_kind=by_kind, oldest_due_by_kind=oldest)

    # -- helpers ------------------------------------------------------------------------------

    def _attempts_on_first_run(self) -> dict[str, object]:
        """``max_attempts`` from the settings for a job claimed for the first time (attempts
        still 0), left as it is for a retry; nothing when the settings do not say."""
        if self._settings.max_attempts is None:
            return {}
        first = case((JOBS.c.attempts == 0, self._settings.max_attempts), else_=JOBS.c.max_attempts)
        return {"max_attempts": first}

    @staticmethod
    def _repend(session: Session, job_id: int, **values: object) -> bool:
        """Put the job back to pending unless that would be a second pending (person, kind).

        The savepoint lets a racing enqueue's unique violation (PostgreSQL) be absorbed without
        losing the rest of the transaction.
        """
        try:
            with session.begin_nested():
                session.execute(
                    update(JOBS).where(JOBS.c.id == job_id).values(state=JobState.PENDING, **values)
                )
        except IntegrityError:
            return False
        return True

    @staticmethod
    def _set(session: Session, job_id: int, **values: object) -> None:
        session.execute(update(JOBS).where(JOBS.c.id == job_id).values(**values))

    @staticmethod
    def _state(session: Session, job_id: int) -> JobState | str:
        state = session.scalar(select(JOBS.c.state).where(JOBS.c.id == job_id))
        return state if state is not None else "missing"


def retry_job(
    session: Session, job_id: int, *, now: datetime, states: Sequence[JobState] = (JobState.DEAD,)
) -> bool:
    """Give a job in one of ``states`` a fresh set of attempts, in the caller's transaction (IT
    staff's retry writes its audit entry in the same one); False if the job is in none of them.

    The one retry rule, whoever asks (``/v1/jobs`` and ``misena jobs retry``, one job or every
    dead one): the job goes back to pending, due now — unless the same work (person, kind) is
    already pending, in which case that job is brought forward to now and this one is closed as
    ``done`` (its ``last_error`` kept), so coalescing holds and nothing stays dead for work that
    is queued anyway.
    """
    wanted = and_(JOBS.c.id == job_id, JOBS.c.state.in_(list(states)))
    row = session.execute(select(JOBS.c.person_id, JOBS.c.kind).where(wanted).with_for_update()).first()
    if row is None:
        return False
    fresh = {"attempts": 0, "finished_at": None, "lease_until": None, "locked_by": None, "updated_at": now}
    if not JobQueue._repend(session, job_id, run_after=now, **fresh):
        enqueue(session, row.kind, row.person_id, now=now)
        JobQueue._set(session, job_id, state=JobState.DONE, finished_at=now, updated_at=now)
    return True
