"""Engines for the two supported stores, configured for a shared job queue.

SQLite is made safe for several threads writing at once: WAL so readers never block the
writer, a long ``busy_timeout`` so a writer waits for the lock instead of failing, and every
transaction opened with ``BEGIN IMMEDIATE``. The last point matters most: with the default
deferred ``BEGIN`` a transaction that read first and writes later cannot wait for the write lock
(SQLite would deadlock), so it fails with "database is locked" half-way through — exactly what
a queue claim (select, then update) does. Taking the write lock up front makes writers queue
up on ``busy_timeout`` instead. The price is that read-only transactions serialize with
writers too; keep transactions short (never hold one across a call to Google).

Writers of one process queue on a Python lock before ``BEGIN IMMEDIATE`` (:class:`WriteLock`),
so only one of them at a time asks SQLite for its lock. SQLite's busy handler does not queue:
a waiter sleeps (1, 2, 5 … up to 100 ms) and polls, so with 32 webhooks at once most of the
time went to waiters asleep while the lock was free (42% of samples on ``BEGIN IMMEDIATE``, a
p99 of seconds). A waiter on the Python lock is woken the moment the holder commits. Writers in
*other* processes (``misena worker``) still meet at SQLite's lock, on ``busy_timeout``.

PostgreSQL gets ``pool_pre_ping`` so connections dropped by a restart or a proxy are replaced
rather than surfacing as errors in the first request after, and a pool of
:data:`POSTGRES_POOL_SIZE` (+ as many on overflow), more than the webhook writer
(:mod:`app.people.intake_writer`) and the rest of a process need at once, so none waits for a
connection while the database idles.
"""

from __future__ import annotations

import sqlite3
import threading
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


#: Connections kept open to PostgreSQL per engine (and as many again on overflow).
POSTGRES_POOL_SIZE = 10


def normalise_url(url: str) -> URL:
    """``postgresql://`` and ``postgres://`` mean psycopg 3, the driver we ship."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` (SQLite or PostgreSQL); ``kwargs`` go to ``create_engine``.

    ``hide_parameters``: a database error's message carries the statement's parameters
    (``[parameters: {'account_email': '1030000001@…', 'recipient_email': …}]``), and a job that
    crashes logs its traceback — during a database outage that put documents and personal
    emails in the log (found by ``tests/faults/test_database_outage.py``)."""
    kwargs.setdefault("hide_parameters", True)
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", POSTGRES_POOL_SIZE)
        kwargs.setdefault("max_overflow", POSTGRES_POOL_SIZE)
    return create_engine(parsed, **kwargs)


class WriteLock:
    """The process's turn at a SQLite database's write lock (see the module).

    Taken by the engine's ``begin`` before ``BEGIN IMMEDIATE``; released by the connection
    when its transaction ends (commit, rollback or close), after SQLite has released its own,
    so the next writer finds it free. At most :data:`LOCK_WAIT_SECONDS`: past that the writer
    goes on to SQLite's ``busy_timeout``, which fails it cleanly, rather than waiting forever.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def acquire(self) -> bool:
        return self._lock.acquire(timeout=LOCK_WAIT_SECONDS)

    def release(self) -> None:
        self._lock.release()


LOCK_WAIT_SECONDS = 30.0


class TurnTakingConnection(sqlite3.Connection):
    """A connection that takes the process's write turn before its transaction begins and
    gives it back when the transaction ends (each engine makes a subclass with its lock)."""

    write_lock: WriteLock
    holds_turn = False

    def take_turn(self) -> None:
        self.holds_turn = self.write_lock.acquire()

    def end_turn(self) -> None:
        if self.holds_turn:
            self.holds_turn = False
            self.write_lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.end_turn()


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    write_lock = WriteLock()
    connect_args = dict(kwargs.pop("connect_args", {}))
    connect_args["check_same_thread"] = False  # the pool hands connections to worker threads
    # Stop the sqlite3 module from issuing its own (deferred) BEGIN; we issue ours below.
    connect_args["isolation_level"] = None
    connect_args["factory"] = type("EngineConnection", (TurnTakingConnection,), {"write_lock": write_lock})
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
        raw = connection.connection.dbapi_connection
        if not isinstance(raw, TurnTakingConnection):  # a connection a caller made itself
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        raw.take_turn()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            raw.end_turn()
            raise

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (they are handed to callers)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
