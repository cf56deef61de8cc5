"""Signing in and out: with a staff API token, or with Google (:mod:`app.console.google_signin`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.console.rendering import BASE, _, render
from app.console.staff import Staff, check_csrf, csrf_token, current_staff, sign_in
from app.console.web import services_of, text_field
from app.staff.tokens import authenticate

router = APIRouter()
TOKEN_MAX = 200


def safe_next(target: str | None) -> str:
    """Only a console path: never an open redirect to another site."""
    if target and target.startswith(f"{BASE}/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"{BASE}/"


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request) -> HTMLResponse:
    csrf_token(request)
    google = request.app.state.console_settings.google_enabled
    return render(
        request, "sign_in.html.j2", None, google=google, next=safe_next(request.query_params.get("next"))
    )


@router.post("/sign-in/token", response_class=HTMLResponse)
async def sign_in_with_token(request: Request) -> Response:
    form = await request.form()
    submitted = form.get("csrf_token")
    check_csrf(request, submitted if isinstance(submitted, str) else None)
    services = services_of(request)
    typed = text_field(form, "token")
    # A token is printable ASCII of about 60 characters: anything else is no token, and never
    # reaches the database (where a NUL would be an error rather than a miss).
    caller = None
    if 0 < len(typed) <= TOKEN_MAX and typed.isascii() and typed.isprintable():
        caller = await run_in_threadpool(authenticate, services.sessions, typed, services.clock)
    if caller is None:
        google = request.app.state.console_settings.google_enabled
        error = _("That token is not valid (unknown, revoked or mistyped).")
        return render(request, "sign_in.html.j2", None, status_code=401, google=google, error=error,
                      next=safe_next(text_field(form, "next")))  # fmt: skip
    sign_in(
        request, Staff(caller.name, caller.actor, caller.scopes, "token", caller.token_id), services.clock()
    )
    return RedirectResponse(safe_next(text_field(form, "next")), status_code=303)


@router.post("/sign-out", response_class=RedirectResponse)
async def sign_out(request: Request) -> RedirectResponse:
    form = await request.form()
    submitted = form.get("csrf_token")
    if await run_in_threadpool(current_staff, request, services_of(request)) is not None:
        check_csrf(request, submitted if isinstance(submitted, str) else None)
    request.session.clear()
    return RedirectResponse(f"{BASE}/sign-in", status_code=303)
