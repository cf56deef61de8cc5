"""The emulator's HTTP face: Google's paths and shapes over the state, plus the control plane.

Each API route names its discovery method id; :meth:`Emulator.call` then does what Google's
front end does for every call, in Google's order: authenticate and check the method's scopes
(taken from the bundled discovery document), apply injected faults and quotas, run the
operation under the state lock, and trim the answer to ``fields``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from workspace.emulator import directory_groups as groups
from workspace.emulator import directory_orgunits as orgunits
from workspace.emulator import directory_users as users
from workspace.emulator import gmail_mail as gmail
from workspace.emulator.auth import OAuthError, authorize, grant_token
from workspace.emulator.control_plane import PREFIX, build_control_router, seed_defaults
from workspace.emulator.discovery import Api
from workspace.emulator.discovery import method as discovery_method
from workspace.emulator.errors import GoogleApiError, invalid
from workspace.emulator.limits import FaultPlan, check_quotas
from workspace.emulator.partial_response import Trimmed, apply_fields, parse_fields
from workspace.emulator.state import EmulatorState, TokenGrant

DIRECTORY = "/admin/directory/v1"
GMAIL = "/gmail/v1"

Handler = Callable[[TokenGrant], Any]


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
        if body is not None and not isinstance(body, _ParseError):
            with self.state.lock:
                self.state.request_log.append((method_id, _masked(body)))
        latency = self.state.config.latency_ms
        if latency:
            await asyncio.sleep(latency / 1000)
        try:
            body = self._run(request, method_id, handler)
        except GoogleApiError as exc:
            return self._error(method_id, exc)
        self._count(method_id, status)
        if status == 204:
            return Response(status_code=204)
        return JSONResponse(body, status_code=status)

    def _run(self, request: Request, method_id: str, handler: Handler) -> Any:
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
            result = handler(grant)
        if mask is not None and isinstance(result, dict) and not isinstance(result, Trimmed):
            result = apply_fields(result, mask)
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
        return _ParseError()


def _masked(body: Any) -> Any:
    """What the request log keeps: the body with secrets replaced, never the secrets."""
    if not isinstance(body, dict):
        return body
    masked = dict(body)
    for secret in ("password", "raw"):
        if secret in masked:
            masked[secret] = "<redacted>"
    return masked


class _ParseError:
    """Marker for a body that was not JSON; raised inside the pipeline so it is counted."""


def parsed(body: Any) -> Any:
    if isinstance(body, _ParseError):
        raise GoogleApiError(400, "parseError", "Invalid JSON payload received.")
    return body


def _check_customer(state: EmulatorState, customer: str | None, domain: str | None) -> None:
    if customer in ("my_customer", state.config.customer_id):
        return
    if customer is None and domain and domain.lower() == state.config.domain.lower():
        return
    if customer is None and domain is None:
        raise invalid("Bad Request", location="customer")
    raise GoogleApiError(404, "notFound", "Resource Not Found: customer")


def _mailbox_owner(grant: TokenGrant, user_id: str) -> str:
    owner = grant.subject if user_id == "me" else user_id.lower()
    if owner != grant.subject:
        raise GoogleApiError(403, "forbidden", f"Delegation denied for {grant.subject}")
    return owner


def create_app(state: EmulatorState | None = None, faults: FaultPlan | None = None) -> FastAPI:
    state = state or EmulatorState()
    faults = faults or FaultPlan(state.config.seed)
    seed_defaults(state)
    emu = Emulator(state, faults)
    app = FastAPI(title="misena Google Workspace emulator", docs_url=None, redoc_url=None)

    @app.exception_handler(RequestValidationError)
    async def _bad_parameter(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith(PREFIX):
            return JSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)
        first = exc.errors()[0] if exc.errors() else {}
        where = str((first.get("loc") or ["", "request"])[-1])
        return JSONResponse(
            invalid(f"Invalid value for: {where}", location=where).envelope(), status_code=400
        )

    app.state.emulator = emu
    app.include_router(build_control_router(state, faults))
    _token_route(app, state)
    _user_routes(app, emu)
    _org_unit_routes(app, emu)
    _group_routes(app, emu)
    _gmail_routes(app, emu)
    return app


def _token_route(app: FastAPI, state: EmulatorState) -> None:
    @app.post("/token")
    async def token(request: Request) -> Response:
        pairs = parse_qsl((await request.body()).decode("utf-8", "replace"))
        form = dict(pairs)
        try:
            with state.lock:
                granted = grant_token(state, form)
        except OAuthError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        return JSONResponse(granted)


def _user_routes(app: FastAPI, emu: Emulator) -> None:
    state = emu.state

    @app.post(f"{DIRECTORY}/users")
    async def users_insert(request: Request) -> Response:
        body = await json_body(request)
        return await emu.call(
            request,
            "directory.users.insert",
            lambda g: users.insert_user(state, parsed(body)),
            body=body,
        )

    @app.get(f"{DIRECTORY}/users/{{user_key}}")
    async def users_get(
        request: Request,
        user_key: str,
        projection: str = "basic",
        customFieldMask: str = "",
    ) -> Response:
        def run(_: TokenGrant) -> Any:
            stored = users.find_user(state, user_key)
            return users.public_view(state, stored, projection=projection, mask=customFieldMask)

        return await emu.call(request, "directory.users.get", run)

    async def write(request: Request, user_key: str, method_id: str) -> Response:
        body = await json_body(request)
        return await emu.call(
            request,
            method_id,
            lambda g: users.update_user(state, user_key, parsed(body)),
            body=body,
        )

    @app.put(f"{DIRECTORY}/users/{{user_key}}")
    async def users_update(request: Request, user_key: str) -> Response:
        return await write(request, user_key, "directory.users.update")

    @app.patch(f"{DIRECTORY}/users/{{user_key}}")
    async def users_patch(request: Request, user_key: str) -> Response:
        return await write(request, user_key, "directory.users.patch")

    @app.get(f"{DIRECTORY}/users")
    async def users_list(
        request: Request,
        customer: str | None = None,
        domain: str | None = None,
        query: str = "",
        maxResults: Annotated[int, Query()] = 100,
        pageToken: str | None = None,
        orderBy: str = "email",
        sortOrder: str = "ASCENDING",
        projection: str = "basic",
        customFieldMask: str = "",
    ) -> Response:
        def run(_: TokenGrant) -> Any:
            _check_customer(state, customer, domain)
            fields = request.query_params.get("fields")
            return users.list_users(
                state, query=query, max_results=maxResults, page_token=pageToken,
                order_by=orderBy, sort_order=sortOrder, projection=projection,
                custom_field_mask=customFieldMask, fields=parse_fields(fields) if fields else None,
            )  # fmt: skip

        return await emu.call(request, "directory.users.list", run)


def _org_unit_routes(app: FastAPI, emu: Emulator) -> None:
    state = emu.state
    base = f"{DIRECTORY}/customer/{{customer_id}}"

    @app.post(f"{base}/orgunits")
    async def orgunits_insert(request: Request, customer_id: str) -> Response:
        body = await json_body(request)

        def run(_: TokenGrant) -> Any:
            _check_customer(state, customer_id, None)
            return orgunits.insert_org_unit(state, parsed(body))

        return await emu.call(request, "directory.orgunits.insert", run, body=body)

    @app.get(f"{base}/orgunits")
    async def orgunits_list(
        request: Request,
        customer_id: str,
        orgUnitPath: str = "/",
        type: str = "children",
    ) -> Response:
        def run(_: TokenGrant) -> Any:
            _check_customer(state, customer_id, None)
            return orgunits.list_org_units(state, under=orgUnitPath, kind=type)

        return await emu.call(request, "directory.orgunits.list", run)

    @app.get(f"{base}/orgunits/{{org_unit_path:path}}")
    async def orgunits_get(request: Request, customer_id: str, org_unit_path: str) -> Response:
        def run(_: TokenGrant) -> Any:
            _check_customer(state, customer_id, None)
            return orgunits.get_org_unit(state, org_unit_path)

        return await emu.call(request, "directory.orgunits.get", run)

    @app.post(f"{base}/schemas")
    async def schemas_insert(request: Request, customer_id: str) -> Response:
        body = await json_body(request)
        return await emu.call(
            request,
            "directory.schemas.insert",
            lambda g: orgunits.insert_schema(state, parsed(body)),
            body=body,
        )

    @app.get(f"{base}/schemas")
    async def schemas_list(request: Request, customer_id: str) -> Response:
        return await emu.call(request, "directory.schemas.list", lambda g: orgunits.list_schemas(state))

    @app.get(f"{base}/schemas/{{schema_key}}")
    async def schemas_get(request: Request, customer_id: str, schema_key: str) -> Response:
        return await emu.call(
            request, "directory.schemas.get", lambda g: orgunits.get_schema(state, schema_key)
        )


def _group_routes(app: FastAPI, emu: Emulator) -> None:
    state = emu.state
    base = f"{DIRECTORY}/groups"

    @app.post(base)
    async def groups_insert(request: Request) -> Response:
        body = await json_body(request)
        return await emu.call(
            request,
            "directory.groups.insert",
            lambda g: groups.insert_group(state, parsed(body)),
            body=body,
        )

    @app.get(f"{base}/{{group_key}}")
    async def groups_get(request: Request, group_key: str) -> Response:
        return await emu.call(request, "directory.groups.get", lambda g: groups.get_group(state, group_key))

    @app.post(f"{base}/{{group_key}}/members")
    async def members_insert(request: Request, group_key: str) -> Response:
        body = await json_body(request)
        return await emu.call(
            request,
            "directory.members.insert",
            lambda g: groups.insert_member(state, group_key, parsed(body)),
            body=body,
        )

    @app.get(f"{base}/{{group_key}}/members")
    async def members_list(
        request: Request,
        group_key: str,
        roles: str = "",
        maxResults: int = 200,
        pageToken: str | None = None,
    ) -> Response:
        def run(_: TokenGrant) -> Any:
            return groups.list_members(
                state, group_key, roles=roles, max_results=maxResults, page_token=pageToken
            )

        return await emu.call(request, "directory.members.list", run)

    @app.get(f"{base}/{{group_key}}/members/{{member_key}}")
    async def members_get(request: Request, group_key: str, member_key: str) -> Response:
        return await emu.call(
            request,
            "directory.members.get",
            lambda g: groups.get_member(state, group_key, member_key),
        )

    async def write_member(request: Request, group_key: str, member_key: str, method_id: str) -> Response:
        body = await json_body(request)
        return await emu.call(
            request,
            method_id,
            lambda g: groups.update_member(state, group_key, member_key, parsed(body)),
            body=body,
        )

    @app.put(f"{base}/{{group_key}}/members/{{member_key}}")
    async def members_update(request: Request, group_key: str, member_key: str) -> Response:
        return await write_member(request, group_key, member_key, "directory.members.update")

    @app.patch(f"{base}/{{group_key}}/members/{{member_key}}")
    async def members_patch(request: Request, group_key: str, member_key: str) -> Response:
        return await write_member(request, group_key, member_key, "directory.members.patch")

    @app.delete(f"{base}/{{group_key}}/members/{{member_key}}")
    async def members_delete(request: Request, group_key: str, member_key: str) -> Response:
        return await emu.call(
            request, "directory.members.delete",
            lambda g: groups.delete_member(state, group_key, member_key), status=204,
        )  # fmt: skip

    @app.get(f"{base}/{{group_key}}/hasMember/{{member_key}}")
    async def members_has(request: Request, group_key: str, member_key: str) -> Response:
        return await emu.call(
            request,
            "directory.members.hasMember",
            lambda g: groups.has_member(state, group_key, member_key),
        )


def _gmail_routes(app: FastAPI, emu: Emulator) -> None:
    state = emu.state
    base = f"{GMAIL}/users/{{user_id}}/messages"

    @app.post(f"{base}/send")
    async def messages_send(request: Request, user_id: str) -> Response:
        body = await json_body(request)

        def run(grant: TokenGrant) -> Any:
            return gmail.send_message(state, _mailbox_owner(grant, user_id), parsed(body))

        return await emu.call(request, "gmail.users.messages.send", run, body=body)

    @app.get(base)
    async def messages_list(
        request: Request,
        user_id: str,
        maxResults: int = 100,
        pageToken: str | None = None,
        q: str = "",
    ) -> Response:
        def run(grant: TokenGrant) -> Any:
            owner = _mailbox_owner(grant, user_id)
            return gmail.list_messages(state, owner, max_results=maxResults, page_token=pageToken, q=q)

        return await emu.call(request, "gmail.users.messages.list", run)

    @app.get(f"{base}/{{message_id}}")
    async def messages_get(request: Request, user_id: str, message_id: str, format: str = "full") -> Response:
        def run(grant: TokenGrant) -> Any:
            return gmail.get_message(state, _mailbox_owner(grant, user_id), message_id, format)

        return await emu.call(request, "gmail.users.messages.get", run)
