"""The service's two apps, built once per module of deployment checks: what ``misena serve`` and
``misena worker`` really serve, read from their route tables and asked over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.db.engine import make_engine
from app.db.migrate import upgrade
from app.http.health import create_health_app
from app.http.main import create_app
from app.runtime.services import build_services
from app.runtime.worker import WorkerPool
from tests.support.harness import service_settings
from workspace.emulator.server import BackgroundServer


@pytest.fixture(scope="module")
def service_apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, FastAPI]]:
    """``api``: the app ``misena serve`` runs; ``worker``: the health app of ``misena worker``
    (its pool not started: no Google call is made), both on one migrated SQLite database."""
    directory: Path = tmp_path_factory.mktemp("deploy-apps")
    key_file = directory / "service-account.json"
    key_file.write_text(json.dumps({"type": "service_account"}), encoding="utf-8")
    database_url = f"sqlite:///{directory / 'misena.db'}"
    engine = make_engine(database_url)
    upgrade(engine)
    services = build_services(service_settings(database_url, key_file, "http://127.0.0.1:9/"), engine=engine)
    yield {"api": create_app(services), "worker": create_health_app(WorkerPool(services))}
    engine.dispose()


@pytest.fixture(scope="module")
def served_paths(service_apps: dict[str, FastAPI]) -> dict[str, set[str]]:
    """Each role's route table: the paths a probe or a scrape may ask."""
    return {
        role: {route.path for route in app.routes if isinstance(route, APIRoute)}
        for role, app in service_apps.items()
    }


@pytest.fixture(scope="module")
def served_urls(service_apps: dict[str, FastAPI]) -> Iterator[dict[str, str]]:
    """Each role's app over real HTTP on loopback: its base URL."""
    servers = {role: BackgroundServer(app, name=f"deploy-{role}") for role, app in service_apps.items()}
    for server in servers.values():
        server.start()
    yield {role: server.base_url for role, server in servers.items()}
    for server in servers.values():
        server.stop()
