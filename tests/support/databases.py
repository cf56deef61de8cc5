"""Test databases on both stores: a SQLite file, or a fresh PostgreSQL schema per test.

Each PostgreSQL test gets its own schema, selected through the URL
(``?options=-csearch_path=<schema>``), so parallel pytest-xdist workers never see each other's
tables, and the same URL works in a subprocess. The root conftest registers this module as a
plugin, so the ``database_url`` fixture reaches every suite.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, NullPool, text
from sqlalchemy.engine import make_url

from app.db.engine import make_engine
from app.db.migrate import upgrade

POSTGRES_URL = os.environ.get("MISENA_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DIALECTS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@functools.cache
def _postgres_error() -> str | None:
    engine = make_engine(POSTGRES_URL, poolclass=NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        engine.dispose()
    return None


def require_postgres() -> None:
    """Fail when PostgreSQL is down — a silent skip would hide half the suite — unless the
    developer opted out with ``MISENA_SKIP_POSTGRES=1``."""
    error = _postgres_error()
    if error is None:
        return
    if os.environ.get("MISENA_SKIP_POSTGRES") == "1":
        pytest.skip(f"PostgreSQL unreachable and MISENA_SKIP_POSTGRES=1 ({error})")
    pytest.fail(
        f"PostgreSQL at {make_url(POSTGRES_URL)!r} is unreachable ({error}); "
        "start it or set MISENA_SKIP_POSTGRES=1",
        pytrace=False,
    )


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose connections use a brand-new schema, dropped afterwards."""
    require_postgres()
    schema = f"misena_test_{uuid.uuid4().hex[:16]}"
    admin = make_engine(POSTGRES_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'misena.db'}"


def migrate(database_url: str) -> Engine:
    """An engine on ``database_url`` with the schema at head. A new SQLite file is a copy of
    one this test process migrated once: the migrations' DDL was a tenth of the suite's CPU
    when each test ran them (the migrations themselves are tested in ``tests/app/db``)."""
    url = make_url(database_url)
    target = Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None
    copy = target is not None and not target.exists()
    if copy:
        shutil.copyfile(_migrated_sqlite(), target)
    engine = make_engine(database_url)
    if not copy:
        upgrade(engine)  # PostgreSQL, or a file a test already migrated (a no-op then)
    return engine


@functools.cache
def _migrated_sqlite() -> Path:
    template = Path(tempfile.mkdtemp(prefix="misena-template-")) / "misena.db"
    engine = make_engine(f"sqlite:///{template}")
    upgrade(engine)
    engine.dispose()  # the last connection closing checkpoints the WAL into the file
    return template


@pytest.fixture(params=DIALECTS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each store (no tables yet)."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    with postgres_schema() as url:
        yield url
