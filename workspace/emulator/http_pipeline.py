"""The emulator's front end for every Google call, shared by all routes.

Each API route names its discovery method id; :meth:`Emulator.call` then does what Google's
front end does for every call, in Google's order: authenticate and check the method's scopes
(taken from the bundled discovery document), apply injected faults and quotas as the call arrives,
then (after the configured latency) run the operation under the state lock, and trim the answer
to ``fields``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from workspace.emulator.auth import authorize
from workspace.emulator.discovery import Api
from workspace.emulator.discovery import method as discovery_method
from workspace.emulator.errors import GoogleApiError, invalid
from workspace.emulator.limits import FaultPlan, check_quotas
from workspace.emulator.partial_response import FieldMask, Trimmed, apply_fields, parse_fields
from workspace.emulator.state import EmulatorState, TokenGrant

DIRECTORY = "/admin/directory/v1"
GMAIL = "/gmail/v1"

Handler = Callable[[TokenGrant], Any]


@dataclass(frozen=True)
class _Admitted:
    """A call Google's front end let through: whose it is, and the ``fields`` mask to apply."""

    grant: TokenGrant
    mask: FieldMask | None


class Emulator:
    """The state, the fault plan and the per-call pipeline shared by all routes."""

    def __init__(self, state: EmulatorState, faults: FaultPlan) -> None:
        self.state = state
        self.faults = faults

    async def call(
        self,
        request: Request,
        method_id: str,
        handler: Handler,
        *,
        status: int = 200,
        body: Any = None,
    ) -> Response:
        if body is not None and not isinstance(body, ParseError):
            with self.state.lock:
                self.state.request_log.append((method_id, masked(body)))
        admitted: _Admitted | GoogleApiError
        try:
            admitted = self._admit(request, method_id)
        except GoogleApiError as exc:
            admitted = exc
        latency = self.state.config.latency_ms
        if latency:
            await asyncio.sleep(latency / 1000)
        if isinstance(admitted, GoogleApiError):
            return self._error(method_id, admitted)
        try:
            body = self._run(admitted, handler)
        except GoogleApiError as exc:
            return self._error(method_id, exc)
        self._count(method_id, status)
        if status == 204:
            return Response(status_code=204)
        return JSONResponse(body, status_code=status)

    def _admit(self, request: Request, method_id: str) -> _Admitted:
        """What Google's front end decides as the call arrives: the credentials and scopes,
        injected faults, and the quotas — counted at arrival, not after the latency. Counted
        after it, the emulator's own event-loop lag on a loaded machine bunched calls a client
        had spaced evenly (104 ms apart) into one window, refusals Google would not give."""
        api: Api = "gmail.v1" if method_id.startswith("gmail.") else "admin.directory_v1"
        info = discovery_method(api, method_id)
        fields = request.query_params.get("fields")
        # A malformed ``fields`` is refused before anything changes, as Google does.
        mask = parse_fields(fields) if fields else None
        with self.state.lock:
            grant = authorize(self.state, request.headers.get("authorization"), info.scopes)
            if api == "admin.directory_v1":
                self._require_admin(grant)
            self.faults.check(method_id, request.method, request.url.path)
            check_quotas(self.state, method_id, grant.subject)
        return _Admitted(grant, mask)

    def _run(self, admitted: _Admitted, handler: Handler) -> Any:
        with self.state.lock:
            result = handler(admitted.grant)
        if admitted.mask is not None and isinstance(result, dict) and not isinstance(result, Trimmed):
            result = apply_fields(result, admitted.mask)
        return result

    def _require_admin(self, grant: TokenGrant) -> None:
        user_id = self.state.user_addresses.get(grant.subject)
        admin = user_id is not None and self.state.users[user_id].resource.get("isAdmin")
        if not admin:
            raise GoogleApiError(403, "forbidden", "Not Authorized to access this resource/api")

    def _count(self, method_id: str, status: int) -> None:
        with self.state.lock:
            self.state.calls[(method_id, status)] += 1

    def _error(self, method_id: str, exc: GoogleApiError) -> Response:
        self._count(method_id, exc.status)
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return JSONResponse(exc.envelope(), status_code=exc.status, headers=headers)


async def json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ParseError()


def masked(body: Any) -> Any:
    """What the request log keeps: the body with secrets replaced, never the secrets."""
    if not isinstance(body, dict):
        return body
    masked = dict(body)
    for secret in ("password", "raw"):
        if secret in masked:
            masked[secret] = "<redacted>"
    return masked


class ParseError:
    """Marker for a body that was not JSON; raised inside the pipeline so it is counted."""


def parsed(body: Any) -> Any:
    if isinstance(body, ParseError):
        raise GoogleApiError(400, "parseError", "Invalid JSON payload received.")
    return body


def check_customer(state: EmulatorState, customer: str | None, domain: str | None) -> None:
    if customer in ("my_customer", state.config.customer_id):
        return
    if customer is None and domain and domain.lower() == state.config.domain.lower():
        return
    if customer is None and domain is None:
        raise invalid("Bad Request", location="customer")
    raise GoogleApiError(404, "notFound", "Resource Not Found: customer")
