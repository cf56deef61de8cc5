"""Engines for the two supported stores, configured for a shared job queue.

SQLite is made safe for several threads writing at once: WAL so readers never block the
writer, a long ``busy_timeout`` so a writer waits for the lock instead of failing, and every
transaction opened with ``BEGIN IMMEDIATE``. The last point matters most: with the default
deferred ``BEGIN`` a transaction that read first and writes later cannot wait for the write lock
(SQLite would deadlock), so it fails with "database is locked" half-way through — exactly what
a queue claim (select, then update) does. Taking the write lock up front makes writers queue
up on ``busy_timeout`` instead. The price is that read-only transactions serialize with
writers too; keep transactions short (never hold one across a call to Google).

PostgreSQL gets ``pool_pre_ping`` so connections dropped by a restart or a proxy are replaced
rather than surfacing as errors in the first request after.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_PRAGMAS = (
    "PRAGMA busy_timeout=30000",  # first: the journal-mode switch below may need the lock
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)


def normalise_url(url: str) -> URL:
    """``postgresql://`` and ``postgres://`` mean psycopg 3, the driver we ship."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` (SQLite or PostgreSQL); ``kwargs`` go to ``create_engine``."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    connect_args = dict(kwargs.pop("connect_args", {}))
    connect_args["check_same_thread"] = False  # the pool hands connections to worker threads
    # Stop the sqlite3 module from issuing its own (deferred) BEGIN; we issue ours below.
    connect_args["isolation_level"] = None
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (they are handed to callers)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
