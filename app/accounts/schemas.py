"""What the IT staff API and the command line show of a suspension the circuit breaker held
(``/v1/holds``), of a person's follow-up after their credentials (``/v1/people/{id}``) and of a
person's plan (``/v1/people/{id}/plan``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.accounts.explain import Explanation
from app.accounts.follow_up import FollowUpState, PersonFollowUp
from app.accounts.google_calls import GoogleCall
from app.db.models import SuspensionHold
from app.db.states import HoldState
from sofia_sync.policy import DesiredAccount


class HoldOut(BaseModel):
    id: int
    person_id: int
    reason: str
    state: HoldState
    held_at: datetime
    decided_at: datetime | None
    decided_by: str | None

    @classmethod
    def of(cls, hold: SuspensionHold) -> HoldOut:
        return cls.model_validate(hold, from_attributes=True)


class FollowUpOut(BaseModel):
    """Reminders to a person who has not signed in yet, and the help desk's flag."""

    state: FollowUpState = Field(
        description=(
            "not_delivered (no credentials email reached them yet), waiting (delivered, no "
            "reminder yet), reminded, flagged (every reminder spent: the help desk calls them) "
            "or signed_in (whatever came before)."
        )
    )
    reminders_sent: int
    last_reminded_at: datetime | None
    flagged_at: datetime | None = Field(
        description="When they were flagged for the help desk; kept, as history, after a later sign-in."
    )
    flag_reason: str | None
    next_step_at: datetime | None = Field(
        description="When the next reminder (or the flag) is due, while they are waiting or reminded."
    )

    @classmethod
    def of(cls, follow_up: PersonFollowUp) -> FollowUpOut:
        return cls.model_validate(follow_up, from_attributes=True)


class GoogleCallOut(BaseModel):
    """One Google call: ``api.method`` as Google names it, its key and the fields it writes."""

    api: str
    method: str
    key: str
    changes: dict[str, Any]
    note: str


class WantedAccount(BaseModel):
    """The account misena wants now (the policy's decision; the document is in the address)."""

    primary_email: str
    given_name: str
    family_name: str
    org_unit_path: str
    suspended: bool
    standing_reason: str
    review_at: datetime | None
    groups: list[str]


class PlanOut(BaseModel):
    """``GET /v1/people/{id}/plan``: what a reconcile would do now, made by nothing.

    ``reads`` are the calls this explanation made; ``calls`` those the reconcile would make
    (its own reads included), in order. ``outcome``: ``account``, ``none``, ``excluded``,
    ``refused`` or ``restore``."""

    person_id: int
    outcome: str
    detail: str
    desired: WantedAccount | None
    google_account: dict[str, Any] | None
    reads: list[GoogleCallOut]
    calls: list[GoogleCallOut]

    @classmethod
    def of(cls, explanation: Explanation) -> PlanOut:
        wanted = explanation.desired
        google = explanation.google_account
        return cls(
            person_id=explanation.person_id,
            outcome=explanation.outcome,
            detail=explanation.detail,
            desired=None if wanted is None else _wanted(wanted),
            google_account=None if google is None else google.model_dump(mode="json"),
            reads=[_call(call) for call in explanation.reads],
            calls=[_call(call) for call in explanation.calls],
        )


def _wanted(wanted: DesiredAccount) -> WantedAccount:
    fields = set(WantedAccount.model_fields) - {"groups"}
    return WantedAccount(**wanted.model_dump(include=fields), groups=[group.email for group in wanted.groups])


def _call(call: GoogleCall) -> GoogleCallOut:
    return GoogleCallOut(api=call.api, method=call.method, key=call.key, changes=call.changes, note=call.note)
