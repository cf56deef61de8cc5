"""API tokens for IT staff and automation: random, prefixed, shown once, stored as a hash.

A token reads ``msn_<prefix>_<secret>``. The prefix finds the row; only the SHA-256 of the
whole token is stored and compared in constant time. Tokens are 190+ bits of randomness, so
a fast hash is enough (a password hash guards low-entropy secrets). Scopes are checked per
endpoint; ``admin`` holds them all. 401 means "who are you?", 403 "not with this token".
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.clock import Clock
from app.db.models import ApiToken
from app.errors import ForbiddenError, UnauthenticatedError
from app.logging_setup import get_logger
from app.staff.audit import record as audit
from app.texts import Text

log = get_logger(__name__)
KEY_MARK = "msn_"


class Scope(StrEnum):
    ACCOUNTS_READ = "accounts:read"
    ACCOUNTS_WRITE = "accounts:write"
    JOBS_WRITE = "jobs:write"
    SYNC_RUN = "sync:run"
    ADMIN = "admin"


@dataclass(frozen=True)
class Caller:
    token_id: int
    name: str
    scopes: frozenset[Scope]

    @property
    def actor(self) -> str:
        """How the audit trail names this caller."""
        return f"token:{self.name}"

    def may(self, scope: Scope) -> bool:
        return Scope.ADMIN in self.scopes or scope in self.scopes


@dataclass(frozen=True)
class IssuedToken:
    id: int
    name: str
    scopes: frozenset[Scope]
    token: str  # shown once, never stored


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    sessions: sessionmaker[Session], name: str, scopes: Iterable[Scope], created_by: str, *, clock: Clock
) -> IssuedToken:
    """Create the token and its ``token.create`` audit entry in one transaction."""
    chosen = frozenset(Scope(s) for s in scopes)
    if not chosen:
        raise ValueError("a token needs at least one scope")
    prefix = secrets.token_hex(4)
    token = f"{KEY_MARK}{prefix}_{secrets.token_urlsafe(32)}"
    with sessions.begin() as session:
        row = ApiToken(
            prefix=prefix,
            token_hash=_digest(token),
            name=name,
            scopes=sorted(chosen),
            created_at=clock(),
            created_by=created_by,
        )
        session.add(row)
        session.flush()
        token_id = row.id
        audit(session, actor=created_by, action="token.create", at=row.created_at, target=f"token:{token_id}",
              details={"name": name, "scopes": sorted(chosen)})  # fmt: skip
    log.info("api_token_created", token_id=token_id, name=name, scopes=sorted(chosen))
    return IssuedToken(token_id, name, chosen, token)


#: What revoking a token twice is told.
ALREADY_REVOKED = Text("The token is already revoked.")


def revoke_token(sessions: sessionmaker[Session], token_id: int, actor: str, *, clock: Clock) -> bool:
    """Revoke it (with its ``token.revoke`` audit entry); False if unknown or already revoked."""
    now = clock()
    with sessions.begin() as session:
        result = session.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        revoked = bool(getattr(result, "rowcount", 0))
        if revoked:
            audit(session, actor=actor, action="token.revoke", at=now, target=f"token:{token_id}")
    if revoked:
        log.info("api_token_revoked", token_id=token_id)
    return revoked


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    scopes: list[str]
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    last_used_at: datetime | None


def list_tokens(sessions: sessionmaker[Session]) -> list[TokenInfo]:
    with sessions() as session:
        rows = session.scalars(select(ApiToken).order_by(ApiToken.id))
        return [
            TokenInfo(r.id, r.name, list(r.scopes), r.created_at, r.created_by, r.revoked_at, r.last_used_at)
            for r in rows
        ]


def authenticate(sessions: sessionmaker[Session], token: str, clock: Clock) -> Caller | None:
    """The caller a presented token stands for, or ``None`` (unknown, malformed, revoked)."""
    if not token.startswith(KEY_MARK):
        return None
    prefix, _, secret = token[len(KEY_MARK) :].partition("_")
    if not prefix or not secret:
        return None
    with sessions.begin() as session:
        row = session.scalars(select(ApiToken).where(ApiToken.prefix == prefix)).first()
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.token_hash, _digest(token)):
            return None
        now = clock()
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            row.last_used_at = now  # at most once a minute: reads stay cheap
        return Caller(row.id, row.name, frozenset(Scope(s) for s in row.scopes))


_bearer = HTTPBearer(auto_error=False, description="An IT staff API token: `Authorization: Bearer msn_...`")

UNAUTHORIZED = Text("A valid API token is required (Authorization: Bearer msn_...).")


def require(scope: Scope) -> Callable[..., Caller]:
    """A dependency: the caller, if their token is valid and carries ``scope`` (or admin)."""

    def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Caller:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise _unauthorized()
        services = request.app.state.services
        caller = authenticate(services.sessions, credentials.credentials, services.clock)
        if caller is None:
            raise _unauthorized()
        if not caller.may(scope):
            raise ForbiddenError(Text("This token lacks the '{scope}' scope.", scope=scope.value))
        return caller

    dependency.__name__ = f"require_{scope.value.replace(':', '_')}"
    return dependency


def _unauthorized() -> UnauthenticatedError:
    return UnauthenticatedError(UNAUTHORIZED, scheme="Bearer")
