"""The help-desk web console at ``/console``: find a person, see why, fix it.

Server-rendered pages (Jinja2, Spanish, no JavaScript needed, nothing from a CDN) mounted as a
sub-application of the service, with its own signed-cookie sessions; every read and action goes
through the same services and scopes as ``/v1``.
"""

from __future__ import annotations

from fastapi import FastAPI

from app.runtime.services import Services


def install_console(app: FastAPI, services: Services) -> None:
    """Mount the console at ``/console`` (outside the OpenAPI document: pages, not API)."""
    from app.console.application import console_app
    from app.console.settings import ConsoleSettings

    app.mount("/console", console_app(services, ConsoleSettings()))
