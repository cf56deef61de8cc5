"""Directory ``users`` routes: Google's paths and parameters over :mod:`directory_users` and
:mod:`directory_deleted`, each call through the shared front end (auth, faults, quotas, fields)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Query, Request, Response

from workspace.emulator import directory_deleted as deleted
from workspace.emulator import directory_users as users
from workspace.emulator.http_pipeline import DIRECTORY, Emulator, check_customer, json_body, parsed
from workspace.emulator.partial_response import parse_fields
from workspace.emulator.state import TokenGrant


def user_routes(app: FastAPI, emu: Emulator) -> None:
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

    @app.delete(f"{DIRECTORY}/users/{{user_key}}")
    async def users_delete(request: Request, user_key: str) -> Response:
        return await emu.call(
            request, "directory.users.delete", lambda g: deleted.delete_user(state, user_key), status=204
        )

    @app.post(f"{DIRECTORY}/users/{{user_key}}/undelete")
    async def users_undelete(request: Request, user_key: str) -> Response:
        body = await json_body(request)
        return await emu.call(
            request,
            "directory.users.undelete",
            lambda g: deleted.undelete_user(state, user_key, parsed(body)),
            status=204,
            body=body,
        )

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
        showDeleted: str = "false",
    ) -> Response:
        def run(_: TokenGrant) -> Any:
            check_customer(state, customer, domain)
            fields = request.query_params.get("fields")
            mask = parse_fields(fields) if fields else None
            if showDeleted.strip().lower() == "true":
                return deleted.list_deleted_users(
                    state, max_results=maxResults, page_token=pageToken, order_by=orderBy,
                    sort_order=sortOrder, projection=projection, custom_field_mask=customFieldMask,
                    fields=mask,
                )  # fmt: skip
            return users.list_users(
                state, query=query, max_results=maxResults, page_token=pageToken,
                order_by=orderBy, sort_order=sortOrder, projection=projection,
                custom_field_mask=customFieldMask, fields=mask,
            )  # fmt: skip

        return await emu.call(request, "directory.users.list", run)
