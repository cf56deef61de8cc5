"""What IT staff decided about a suspension the circuit breaker held, and what that decision
means for the next request to suspend the same person. Pure.

The suspension brake (:mod:`app.accounts.brake`) holds lifecycle suspensions past its limit until IT
staff release or discard them; a decision keeps applying for as long as the reason for the
suspension stays the same (a new reason is judged afresh). The brake decides with
:func:`staff_decision`, and the bulk plan's preview (:mod:`sofia_sync.bulk_plan`) with the
same function, so a plan never previews as a suspension what the reconcile will hold back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sofia_sync.messages import Message

__all__ = ["HoldDecision", "LatestHold", "previewed", "staff_decision"]


class HoldDecision(StrEnum):
    HELD = "held"  # still waiting for IT staff: the suspension is not made
    RELEASED = "released"  # IT staff let it through: the suspension is made
    DISCARDED = "discarded"  # IT staff refused it: the account stays as it is


@dataclass(frozen=True)
class LatestHold:
    """The person's latest hold that is not obsolete: its state and the reason it held."""

    state: str
    reason: str


def staff_decision(latest: LatestHold | None, reason: str) -> HoldDecision | None:
    """The decision that applies to a suspension for ``reason``; ``None`` when none does (no
    hold, an obsolete one, or one held for another reason) and the brake's window decides."""
    if latest is None or latest.reason != reason:
        return None
    try:
        return HoldDecision(latest.state)
    except ValueError:
        return None


def previewed(decision: HoldDecision | None, reason: str) -> Message | None:
    """What a plan says instead of "suspend" when the decision holds the suspension back."""
    if decision is HoldDecision.HELD:
        return Message("suspension held for IT staff (misena brake list): {reason}", reason=reason)
    if decision is HoldDecision.DISCARDED:
        return Message("suspension discarded by IT staff: {reason}", reason=reason)
    return None
