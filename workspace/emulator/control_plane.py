"""``/_emulator/...``: reset, seed, configure, inject faults, read counters and sent mail, check
passwords, sign people in.

Tests and benchmarks steer the emulator through these endpoints (never through the Google
paths), the way moto's server mode exposes its own. They need no token: the emulator only ever
listens on loopback.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from workspace.emulator import directory_groups as groups
from workspace.emulator import directory_orgunits as orgunits
from workspace.emulator import directory_users as users
from workspace.emulator.auth import DEFAULT_DELEGATED_SCOPES, create_service_account
from workspace.emulator.config import EmulatorConfig
from workspace.emulator.errors import GoogleApiError
from workspace.emulator.gmail_mail import sent_mail
from workspace.emulator.limits import FaultPlan, FaultRule
from workspace.emulator.sign_in import sign_in
from workspace.emulator.state import EmulatorState

PREFIX = "/_emulator"


class SeedUser(BaseModel):
    """A user to create as the API would (same validation), optionally a super admin."""

    model_config = {"extra": "allow"}
    is_admin: bool = False


class Seed(BaseModel):
    org_units: list[str] = Field(default_factory=list, description="Full paths, parents first")
    schemas: list[dict[str, Any]] = Field(default_factory=list)
    users: list[SeedUser] = Field(default_factory=list)
    groups: list[dict[str, Any]] = Field(default_factory=list)


class FaultPlanBody(BaseModel):
    rules: list[FaultRule]
    seed: int = 0


class PasswordCheck(BaseModel):
    primaryEmail: str  # noqa: N815 - Google's field name
    password: str


class SignIn(BaseModel):
    """A person signing in at accounts.google.com with ``password`` (and, when Google forces a
    change, choosing ``newPassword``)."""

    model_config = {"populate_by_name": True}
    primary_email: str = Field(alias="primaryEmail")
    password: str
    new_password: str | None = Field(default=None, alias="newPassword", min_length=8, max_length=100)


class ServiceAccountRequest(BaseModel):
    name: str = Field(default="misena", pattern=r"^[a-z][a-z0-9-]{2,29}$")
    scopes: list[str] | None = None


class Delegation(BaseModel):
    """The scopes an admin allows a client id in the Admin console's domain-wide delegation page."""

    scopes: list[str]


class ClockChange(BaseModel):
    seconds: float = Field(default=0.0, ge=0, le=400 * 86_400)
    freeze: bool | None = None


def seed_defaults(state: EmulatorState) -> None:
    """What a new Workspace tenant has: the root org unit and one super admin."""
    with state.lock:
        orgunits.ensure_root(state)
        if state.lookup_user_id(state.config.admin_email) is None:
            _seed_user(
                state,
                {
                    "primaryEmail": state.config.admin_email,
                    "name": {"givenName": "Admin", "familyName": "Mi SENA"},
                    "password": secrets.token_urlsafe(24),
                },
                is_admin=True,
            )


def _seed_user(state: EmulatorState, body: dict[str, Any], *, is_admin: bool) -> None:
    created = users.insert_user(state, body)
    stored = state.users[created["id"]]
    stored.visible_at = state.now()
    stored.resource["isAdmin"] = is_admin
    state.users_changed()


def apply_seed(state: EmulatorState, seed: Seed) -> dict[str, int]:
    for path in seed.org_units:
        parts = [p for p in path.strip("/").split("/") if p]
        for depth in range(len(parts)):
            full = "/" + "/".join(parts[: depth + 1])
            if full not in state.org_units:
                parent = "/" + "/".join(parts[:depth])
                orgunits.insert_org_unit(state, {"name": parts[depth], "parentOrgUnitPath": parent})
    for schema in seed.schemas:
        if schema.get("schemaName") not in state.schemas:
            orgunits.insert_schema(state, schema)
    for user in seed.users:
        body = user.model_dump(exclude={"is_admin"})
        _seed_user(state, body, is_admin=user.is_admin)
    for group in seed.groups:
        groups.insert_group(state, group)
    return {
        "orgUnits": len(state.org_units),
        "users": len(state.users),
        "groups": len(state.groups),
        "schemas": len(state.schemas),
    }


def reset(state: EmulatorState, faults: FaultPlan) -> None:
    """Back to a new tenant. Service accounts and their tokens survive, so keys stay valid."""
    with state.lock:
        for container in (
            state.users, state.user_addresses, state.deleted_users, state.org_units, state.schemas,
            state.groups, state.group_addresses, state.group_visible_at, state.members, state.mailboxes,
            state.calls, state.windows,
        ):  # fmt: skip
            container.clear()
        state.clock_offset = 0.0
        state.frozen_at = None
        state.visible_from = 0.0
        state.users_changed()
        state.request_log.clear()
        state.granted.clear()
    faults.replace([], state.config.seed)
    seed_defaults(state)


def counters(state: EmulatorState) -> dict[str, Any]:
    by_method: dict[str, dict[str, int]] = {}
    with state.lock:
        for (method_id, status), count in sorted(state.calls.items()):
            by_method.setdefault(method_id, {})[str(status)] = count
        total = sum(state.calls.values())
    return {"calls": by_method, "total": total}


def build_control_router(state: EmulatorState, faults: FaultPlan) -> APIRouter:
    router = APIRouter(prefix=PREFIX)

    @router.post("/reset")
    def reset_route() -> dict[str, bool]:
        reset(state, faults)
        return {"reset": True}

    @router.post("/seed")
    def seed_route(seed: Seed) -> Any:
        try:
            with state.lock:
                return apply_seed(state, seed)
        except GoogleApiError as exc:
            return JSONResponse(exc.envelope(), status_code=exc.status)

    @router.get("/config")
    def get_config() -> EmulatorConfig:
        return state.config

    @router.patch("/config")
    def patch_config(changes: dict[str, Any]) -> EmulatorConfig:
        merged = EmulatorConfig.model_validate({**state.config.model_dump(), **changes})
        with state.lock:
            state.config = merged
        return merged

    @router.get("/faults")
    def get_faults() -> FaultPlanBody:
        return FaultPlanBody(rules=faults.rules())

    @router.put("/faults")
    def put_faults(plan: FaultPlanBody) -> FaultPlanBody:
        faults.replace(plan.rules, plan.seed)
        return FaultPlanBody(rules=faults.rules(), seed=plan.seed)

    @router.delete("/faults")
    def clear_faults() -> FaultPlanBody:
        faults.replace([], state.config.seed)
        return FaultPlanBody(rules=[])

    @router.get("/counters")
    def get_counters() -> dict[str, Any]:
        return counters(state)

    @router.delete("/counters")
    def clear_counters() -> dict[str, Any]:
        with state.lock:
            state.calls.clear()
        return counters(state)

    @router.get("/sent-mail")
    def get_sent_mail() -> dict[str, Any]:
        with state.lock:
            return {"now": state.now(), "messages": sent_mail(state)}

    @router.post("/password-check")
    def password_check(check: PasswordCheck) -> dict[str, bool]:
        with state.lock:
            return {"valid": users.check_password(state, check.primaryEmail, check.password)}

    @router.post("/sign-in")
    def sign_in_route(body: SignIn) -> Any:
        try:
            with state.lock:
                return sign_in(state, body.primary_email, body.password, body.new_password)
        except GoogleApiError as exc:
            return JSONResponse(exc.envelope(), status_code=exc.status)

    @router.post("/service-accounts")
    def new_service_account(request: Request, body: ServiceAccountRequest) -> dict[str, Any]:
        token_uri = str(request.base_url).rstrip("/") + "/token"
        scopes = frozenset(body.scopes) if body.scopes is not None else DEFAULT_DELEGATED_SCOPES
        with state.lock:
            issued = create_service_account(state, token_uri, name=body.name, delegated_scopes=scopes)
        return issued.key_file

    @router.get("/grants")
    def grants() -> list[dict[str, Any]]:
        with state.lock:
            return [
                {"subject": g.subject, "scopes": sorted(g.scopes), "client_email": g.client_email}
                for g in state.tokens.values()
            ]

    @router.post("/clock")
    def change_clock(change: ClockChange) -> dict[str, Any]:
        with state.lock:
            if change.freeze is True and state.frozen_at is None:
                state.frozen_at = time.monotonic()
            elif change.freeze is False and state.frozen_at is not None:
                state.clock_offset += state.frozen_at - time.monotonic()
                state.frozen_at = None
            state.clock_offset += change.seconds
            return {"offset_seconds": state.clock_offset, "frozen": state.frozen_at is not None}

    _delegation_route(router, state)

    @router.get("/quota-events")
    def quota_events(key: str) -> list[float]:
        """When each event of one limit (``user-creates``, ``directory-queries``,
        ``gmail-send:<sender>``, ``gmail-rate:<sender>``) was counted, emulator time, oldest first."""
        with state.lock:
            return [at for k, at in state.granted if k == key]

    @router.get("/requests")
    def request_log() -> list[dict[str, Any]]:
        with state.lock:
            return [{"method": m, "body": b} for m, b in state.request_log]

    return router


def _delegation_route(router: APIRouter, state: EmulatorState) -> None:
    @router.put("/service-accounts/{client_id}/delegation")
    def delegate(client_id: str, body: Delegation) -> Any:
        """Edit a client id's delegated scopes, as an admin does in the console: its keys ask for
        tokens with the new set from now on (tokens already handed out keep theirs)."""
        with state.lock:
            accounts = [a for a in state.service_accounts.values() if a.client_id == client_id]
            for account in accounts:
                account.delegated_scopes = frozenset(body.scopes)
        if not accounts:
            return JSONResponse({"detail": "no such client id"}, status_code=404)
        return {"client_id": client_id, "scopes": sorted(body.scopes)}
