"""Spanish names for the states and kinds misena stores as codes (``active``, ``dead``,
``suspend``...): the console shows the name and keeps the code in the page for IT staff."""

from __future__ import annotations

from functools import cache

from app.console.words import _


@cache
def _labels() -> dict[str, str]:
    return {
        # account_status
        "pending": _("Pending"),
        "active": _("Active"),
        "credentials_pending": _("Credentials pending"),
        "suspended": _("Suspended"),
        "suspended_outside": _("Suspended outside misena"),
        "conflict": _("Conflict"),
        "excluded": _("Excluded"),
        # jobs
        "running": _("Running"),
        "done": _("Done"),
        "dead": _("Dead"),
        "cancelled": _("Cancelled"),
        "reconcile": _("Reconcile"),
        "deliver_credentials": _("Deliver credentials"),
        # credential deliveries
        "waiting": _("Waiting for a sender"),
        "sent": _("Sent"),
        "failed": _("Failed"),
        "superseded": _("Superseded"),
        "no_recipient": _("No recipient"),
        "new_account": _("New account"),
        "account_recreated": _("Account recreated"),
        "account_restored": _("Account restored"),
        "staff_reset": _("Reset by IT staff"),
        "reminder": _("Reminder"),
        # held suspensions
        "held": _("Held"),
        "released": _("Released"),
        "discarded": _("Discarded"),
        "obsolete": _("Obsolete"),
        # sync runs, their items and the plan's actions
        "planned": _("Planned"),
        "refused": _("Refused"),
        "applying": _("Being applied"),
        "applied": _("Applied"),
        "skipped": _("Skipped"),
        "create": _("Create"),
        "rename": _("Rename"),
        "suspend": _("Suspend"),
        "grace": _("Suspended when the grace ends"),
        "reactivate": _("Reactivate"),
        "move": _("Move"),
        "update": _("Update"),
        "groups": _("Groups"),
        "left_alone": _("Left alone"),
        "unchanged": _("Unchanged"),
    }


def label(code: object) -> str:
    """The Spanish name of a stored code; the code itself when it has none."""
    text = str(code.value if hasattr(code, "value") else code)
    return _labels().get(text, text)


@cache
def follow_up_states() -> dict[str, str]:
    """The follow-up's states by their Spanish names (apart: ``waiting`` is a delivery's too)."""
    return {
        "not_delivered": _("Credentials not delivered yet"),
        "waiting": _("Waiting for the first sign-in"),
        "reminded": _("Reminded, not signed in yet"),
        "flagged": _("For the help desk"),
        "signed_in": _("Signed in"),
    }
