"""The emulator's HTTP face: Google's paths and shapes over the state, plus the control plane.

Every API route hands its operation to :class:`~workspace.emulator.http_pipeline.Emulator`,
which authenticates, applies faults and quotas and trims the answer as Google's front end does;
the user routes live in :mod:`workspace.emulator.http_users`.
"""

from __future__ import annotations

from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workspace.emulator import directory_groups as groups
from workspace.emulator import directory_orgunits as orgunits
from workspace.emulator import gmail_mail as gmail
from workspace.emulator.auth import OAuthError, grant_token
from workspace.emulator.control_plane import PREFIX, build_control_router, seed_defaults
from workspace.emulator.errors import GoogleApiError, invalid
from workspace.emulator.http_pipeline import DIRECTORY, GMAIL, Emulator, check_customer, json_body, parsed
from workspace.emulator.http_users import user_routes
from workspace.emulator.limits import FaultPlan
from workspace.emulator.oidc import oidc_routes
from workspace.emulator.state import EmulatorState, TokenGrant


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
    app.state.oidc = oidc_routes(app, state)
    user_routes(app, emu)
    _org_unit_routes(app, emu)
    _group_routes(app, emu)
    _gmail_routes(app, emu)
    return app


class DateOnEmulatorClock:
    """Every answer's ``Date`` header read from the emulator's wall clock, as Google's front end
    stamps each answer with its own: a test that moves the emulator's clock sees a skewed
    ``Date``, which is what ``misena doctor`` compares the machine's clock with. The server
    leaves out its own ``Date`` (``BackgroundServer``), so there is exactly one."""

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self._app = app
        self._state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                date = format_datetime(self._state.wall_now(), usegmt=True).encode()
                message["headers"] = [*message.get("headers", []), (b"date", date)]
            await send(message)

        await self._app(scope, receive, stamped)


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


def _org_unit_routes(app: FastAPI, emu: Emulator) -> None:
    state = emu.state
    base = f"{DIRECTORY}/customer/{{customer_id}}"

    @app.post(f"{base}/orgunits")
    async def orgunits_insert(request: Request, customer_id: str) -> Response:
        body = await json_body(request)

        def run(_: TokenGrant) -> Any:
            check_customer(state, customer_id, None)
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
            check_customer(state, customer_id, None)
            return orgunits.list_org_units(state, under=orgUnitPath, kind=type)

        return await emu.call(request, "directory.orgunits.list", run)

    @app.get(f"{base}/orgunits/{{org_unit_path:path}}")
    async def orgunits_get(request: Request, customer_id: str, org_unit_path: str) -> Response:
        def run(_: TokenGrant) -> Any:
            check_customer(state, customer_id, None)
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
