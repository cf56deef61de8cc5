"""Every closed vocabulary a status column holds, spelled once.

A state used to be a bare string written in up to four places (the column's default, its
``CHECK``, the code that sets it, the API that filters by it); one typo and a row sat in a
state nothing reads. Here each vocabulary is a ``StrEnum``: the columns are typed with it
(:func:`column_type`), their ``CHECK`` constraints are generated from it (:func:`one_of`), and
the API and the command line offer exactly its members — so a value outside it is refused at
the door (422) and by the ORM before it reaches the database.

The database schema is unchanged: the columns stay ``VARCHAR(n)`` (``native_enum=False``, no
constraint of SQLAlchemy's own), so no migration is needed and the existing ``CHECK``
constraints are the ones the migrations created. Members are ``str``: they compare equal to,
and serialise as, their values.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum

__all__ = [
    "AccountStatus",
    "ApprovalState",
    "DeliveryReason",
    "DeliveryStatus",
    "HoldState",
    "JobKind",
    "JobState",
    "SuspensionSource",
    "SyncItemState",
    "SyncRunStatus",
    "column_type",
    "one_of",
]


class AccountStatus(StrEnum):
    """``people.account_status``: what misena knows of the person's Google account.

    Starts ``pending`` (no account yet). The reconcile moves it to ``active`` (an account it
    manages), ``suspended`` (misena suspended it: lifecycle or IT staff), ``suspended_outside``
    (suspended by someone else; misena leaves it so), ``conflict`` (the address is held by an
    account misena must not touch; also a merge of two people) or ``excluded`` (the
    configuration excludes the account). A credentials request with no personal email to send
    it to makes it ``credentials_pending``, and a send (or a later adoption) makes it ``active``.
    ``conflict`` and ``excluded`` return to ``active`` once the account is misena's again.
    """

    PENDING = "pending"
    ACTIVE = "active"
    CREDENTIALS_PENDING = "credentials_pending"
    SUSPENDED = "suspended"
    SUSPENDED_OUTSIDE = "suspended_outside"
    CONFLICT = "conflict"
    EXCLUDED = "excluded"


class JobKind(StrEnum):
    """``jobs.kind``: the work a job does for its person (the worker has one handler per kind)."""

    #: Bring the person's Google account to what the policy wants (level-triggered).
    RECONCILE = "reconcile"
    #: Send the person's open credentials delivery.
    DELIVER = "deliver_credentials"


class JobState(StrEnum):
    """``jobs.state``: the queue's state machine.

    ``pending`` → ``running`` (claimed under a lease) → ``done``, or back to ``pending`` after a
    failure with attempts left (or a wait), or ``dead`` when they are spent (dead-lettered for
    IT staff). IT staff cancel a ``pending`` job (``cancelled``) and retry a ``dead`` or
    ``cancelled`` one (back to ``pending``). A job whose work was queued again meanwhile is
    closed as ``done`` instead of becoming a second pending one.
    """

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"
    CANCELLED = "cancelled"


class HoldState(StrEnum):
    """``suspension_holds.state``: a suspension the circuit breaker held back.

    ``held`` until IT staff decide: ``released`` lets the next reconcile suspend; ``discarded``
    keeps the account active for as long as the reason stays the same. Any of them turns
    ``obsolete`` when the person is active again (Sofia changed its mind). The first three are
    the domain's hold decisions, spelled alike (the brake reads a stored state as one).
    """

    HELD = "held"
    RELEASED = "released"
    DISCARDED = "discarded"
    OBSOLETE = "obsolete"


class ApprovalState(StrEnum):
    """``suspension_approvals.state``: a suspension IT staff confirmed in a bulk plan.

    ``open`` until the circuit breaker honours it (``used``) or the person is plainly active
    again (``void``: a later ending is a new decision). Both ends are final.
    """

    OPEN = "open"
    USED = "used"
    VOID = "void"


class DeliveryStatus(StrEnum):
    """``credential_deliveries.status``: one request to send a person their credentials.

    ``pending`` (not tried yet) → ``sent``; or ``waiting`` (for sender capacity) and back to
    ``pending``; or ``failed`` (refused for good). ``no_recipient``: there is no personal email
    to send to; it becomes ``pending`` when one arrives. Any open one (``pending``,
    ``waiting``) becomes ``superseded`` when a newer request, or a send, makes it moot.
    """

    PENDING = "pending"
    WAITING = "waiting"
    SENT = "sent"
    FAILED = "failed"
    SUPERSEDED = "superseded"
    NO_RECIPIENT = "no_recipient"


class DeliveryReason(StrEnum):
    """``credential_deliveries.reason``: why the credentials are sent (fixed at the request)."""

    NEW_ACCOUNT = "new_account"
    ACCOUNT_RECREATED = "account_recreated"
    ACCOUNT_RESTORED = "account_restored"
    STAFF_RESET = "staff_reset"
    #: A follow-up reminder to someone who has not signed in (:mod:`app.accounts.follow_up`).
    REMINDER = "reminder"


class SuspensionSource(StrEnum):
    """``suspensions.source``: how a lifecycle suspension was admitted.

    ``brake`` (the circuit breaker's window had room) and ``confirmed`` (IT staff confirmed it
    in a bulk plan) count against the window; ``released`` (IT staff let a held one through)
    does not. Rows never change state.
    """

    BRAKE = "brake"
    CONFIRMED = "confirmed"
    RELEASED = "released"


class SyncRunStatus(StrEnum):
    """``sync_runs.status``: a bulk reconciliation.

    ``planned`` (or ``refused``: the plan crossed a safety limit and waits for a confirmation)
    → ``applying`` (its work is being queued) → ``applied`` (every item queued).
    """

    PLANNED = "planned"
    REFUSED = "refused"
    APPLYING = "applying"
    APPLIED = "applied"


class SyncItemState(StrEnum):
    """``sync_items.state``: one person's line of a plan.

    ``pending`` (to apply) → ``applied`` (their reconcile is queued); ``skipped`` from the start
    when there is nothing to do (unchanged, left alone).
    """

    PENDING = "pending"
    APPLIED = "applied"
    SKIPPED = "skipped"


def column_type(states: type[StrEnum], length: int) -> Enum:
    """The column type for a vocabulary: ``VARCHAR(length)`` in the database, members in Python.

    Values outside ``states`` are refused when written (``validate_strings``) rather than left
    to the ``CHECK`` constraint — most of these columns have none.
    """
    return Enum(
        states,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def one_of(column: str, states: type[StrEnum]) -> str:
    """A ``CHECK`` expression admitting exactly the vocabulary, in its order."""
    values = ", ".join(f"'{state.value}'" for state in states)
    return f"{column} IN ({values})"
