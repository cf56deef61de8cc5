"""Who is signed in to the console, what they may do, and the CSRF token of their session.

The session (a signed cookie, Starlette's ``SessionMiddleware``) holds the staff member's name,
the actor the audit trail records, their scopes, the CSRF token of every form and when it began
(by the service's clock: it ends ``MISENA_CONSOLE_SESSION_HOURS`` later). A session
made from an API token keeps the token's id and ends when the token is revoked. Scopes are
checked with the API's own rule (:meth:`app.staff.tokens.Caller.may`).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import select

from app.db.models import ApiToken
from app.runtime.services import Services
from app.staff.tokens import Caller, Scope

STAFF_KEY = "staff"
CSRF_KEY = "csrf"
CSRF_FIELD = "csrf_token"
SINCE_KEY = "since"


@dataclass(frozen=True)
class Staff:
    name: str
    actor: str
    scopes: frozenset[Scope]
    via: str  # "token" or "google"
    token_id: int | None = None

    def may(self, scope: Scope) -> bool:
        return Caller(self.token_id or 0, self.name, self.scopes).may(scope)

    def as_session(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "actor": self.actor,
            "scopes": sorted(self.scopes),
            "via": self.via,
            "token_id": self.token_id,
        }

    @classmethod
    def from_session(cls, data: dict[str, Any]) -> Staff:
        return cls(
            name=str(data["name"]),
            actor=str(data["actor"]),
            scopes=frozenset(Scope(s) for s in data["scopes"]),
            via=str(data["via"]),
            token_id=data.get("token_id"),
        )


class SignInRequiredError(Exception):
    """No (valid) session: the console sends the browser to the sign-in page."""


class NotAllowedError(Exception):
    """Signed in, but without the scope this page or action needs (403)."""

    def __init__(self, scope: Scope) -> None:
        super().__init__(scope.value)
        self.scope = scope


class CsrfRefusedError(Exception):
    """A form posted without this session's CSRF token (403)."""


def sign_in(request: Request, staff: Staff, now: datetime) -> None:
    """A fresh session for ``staff`` (a new CSRF token too: nothing from before sign-in carries
    over), stamped with when it began: it ends ``session_hours`` later however busy it is."""
    request.session.clear()
    request.session[STAFF_KEY] = staff.as_session()
    request.session[CSRF_KEY] = secrets.token_urlsafe(32)
    request.session[SINCE_KEY] = now.isoformat()


def current_staff(request: Request, services: Services) -> Staff | None:
    data = request.session.get(STAFF_KEY)
    if not isinstance(data, dict):
        return None
    try:
        staff = Staff.from_session(data)
        since = datetime.fromisoformat(str(request.session[SINCE_KEY]))
    except (KeyError, ValueError):
        request.session.clear()
        return None
    hours: float = request.app.state.console_settings.session_hours
    expired = services.clock() - since > timedelta(hours=hours)
    if expired or (staff.token_id is not None and not _token_live(services, staff.token_id)):
        request.session.clear()
        return None
    return staff


def _token_live(services: Services, token_id: int) -> bool:
    """The token still exists and is not revoked."""
    with services.sessions() as session:
        row = session.execute(select(ApiToken.revoked_at).where(ApiToken.id == token_id)).first()
    return row is not None and row[0] is None


def require(request: Request, services: Services, scope: Scope) -> Staff:
    staff = current_staff(request, services)
    if staff is None:
        raise SignInRequiredError
    if not staff.may(scope):
        raise NotAllowedError(scope)
    return staff


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_KEY] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get(CSRF_KEY)
    if not isinstance(expected, str) or not submitted or not hmac.compare_digest(expected, submitted):
        raise CsrfRefusedError
