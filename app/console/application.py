"""The console as an ASGI application: its routes, sessions, static files and error pages."""

from __future__ import annotations

import secrets

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles

from app.console import google_signin, ops_pages, people_pages, signin_pages, sync_pages
from app.console.headers import ConsoleHeaders
from app.console.rendering import BASE, STATIC
from app.console.settings import ConsoleSettings
from app.console.web import HANDLERS
from app.logging_setup import get_logger
from app.runtime.services import Services

log = get_logger(__name__)


def session_secret_of(settings: ConsoleSettings) -> str:
    """The key that signs session cookies: the configured one, or a random one for this
    process (fine for the demo and tests; warned about where it looks like a deployment)."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    if settings.google_enabled or settings.public_url:
        # a deployment: sessions would end at every restart and differ between replicas
        log.warning("console_session_secret_unset", setting="MISENA_CONSOLE_SESSION_SECRET")
    return secrets.token_urlsafe(32)


def console_app(services: Services, settings: ConsoleSettings) -> FastAPI:
    console = FastAPI(title="misena console", docs_url=None, redoc_url=None, openapi_url=None)
    console.state.services = services
    console.state.console_settings = settings
    for kind, handler in HANDLERS.items():
        console.add_exception_handler(kind, handler)
    console.state.oauth = google_signin.google_client(settings)
    for router in (
        signin_pages.router,
        google_signin.router,
        people_pages.router,
        ops_pages.router,
        sync_pages.router,
    ):
        console.include_router(router)
    console.mount("/static", StaticFiles(directory=STATIC), name="static")
    console.add_middleware(
        SessionMiddleware,
        secret_key=session_secret_of(settings),
        session_cookie="misena_console",
        max_age=int(settings.session_hours * 3600),
        path=BASE,
        same_site="lax",
        https_only=settings.secure_cookie,
    )
    console.add_middleware(ConsoleHeaders)
    return console
