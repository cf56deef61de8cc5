"""Engine configuration: URL handling, SQLite pragmas and write-lock-first transactions."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import IntegrityError

from app.db.engine import is_postgres, make_engine, normalise_url, session_factory


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@db:5432/misena",
        "postgres://u@db:5432/misena",
        "postgresql+psycopg://u@db:5432/misena",
    ],
)
def test_postgres_urls_use_psycopg3(url: str) -> None:
    assert normalise_url(url).drivername == "postgresql+psycopg"
    engine = make_engine(url)
    assert is_postgres(engine)
    assert engine.pool._pre_ping


def test_sessions_keep_objects_readable_after_commit(engine: Engine) -> None:
    assert session_factory(engine).kw["expire_on_commit"] is False
    assert is_postgres(engine) == (engine.dialect.name == "postgresql")


def test_a_database_error_does_not_carry_the_statement_parameters(engine: Engine) -> None:
    """A crashed job logs its traceback, whose last line is the database error: with the
    parameters in it, a database outage logged documents and personal emails. (PostgreSQL's
    own DETAIL of a unique violation still names the key; that is not this.)"""
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE leak_probe (address VARCHAR(64) PRIMARY KEY)"))
        insert = text("INSERT INTO leak_probe (address) VALUES (:address)")
        connection.execute(insert, {"address": "1030000001@misena.edu.co"})
        with pytest.raises(IntegrityError) as refused:
            connection.execute(insert, {"address": "1030000001@misena.edu.co"})
    message = str(refused.value)
    assert "[parameters:" not in message
    assert "[SQL parameters hidden" in message


def _sqlite(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'e.db'}")


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = _sqlite(tmp_path)
    with engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        }
    assert pragma == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 30000,
        "synchronous": 1,
    }
    assert not is_postgres(engine)
    engine.dispose()


def test_sqlite_transactions_take_the_write_lock_at_begin(tmp_path: Path) -> None:
    engine = _sqlite(tmp_path)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    other = sqlite3.connect(tmp_path / "e.db", timeout=0, isolation_level=None)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT count(*) FROM t"))  # a read opens the transaction...
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")  # ...and it already holds the write lock
            connection.rollback()
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()
        engine.dispose()


def test_sqlite_read_then_write_transactions_in_threads_never_fail(tmp_path: Path) -> None:
    """With a deferred BEGIN, two read-then-write transactions deadlock and one fails with
    "database is locked" at once (busy_timeout cannot help); BEGIN IMMEDIATE queues them."""
    engine = _sqlite(tmp_path)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (n INTEGER)"))
        connection.execute(text("INSERT INTO counter VALUES (0)"))
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def bump() -> None:
        start.wait()
        for _ in range(25):
            try:
                with engine.begin() as connection:
                    n = connection.execute(text("SELECT n FROM counter")).scalar_one()
                    connection.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
            except Exception as exc:
                errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar_one() == 200
    assert errors == []
    engine.dispose()


def test_sqlite_writers_of_one_process_take_turns_before_asking_sqlite(tmp_path: Path) -> None:
    """Threads queue on the process's write lock, not in SQLite's busy handler (which sleeps
    and polls): no ``BEGIN IMMEDIATE`` reaches SQLite while another transaction is open, and
    a failed transaction gives the turn back."""
    engine = _sqlite(tmp_path)
    statements: list[str] = []

    @event.listens_for(engine, "connect")
    def _trace(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.set_trace_callback(statements.append)

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (n INTEGER)"))
        connection.execute(text("INSERT INTO counter VALUES (0)"))

    def fail_inside_a_transaction() -> None:
        with engine.begin() as connection:
            connection.execute(text("UPDATE counter SET n = n + 1"))
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fail_inside_a_transaction()
    start = threading.Barrier(8)

    def bump() -> None:
        start.wait()
        for _ in range(25):
            with engine.begin() as connection:
                n = connection.execute(text("SELECT n FROM counter")).scalar_one()
                connection.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    open_transactions = 0
    for statement in statements:
        if statement.startswith("BEGIN"):
            open_transactions += 1
            assert open_transactions == 1, "a second BEGIN IMMEDIATE while a transaction was open"
        elif statement in ("COMMIT", "ROLLBACK"):
            open_transactions = max(open_transactions - 1, 0)
    assert statements.count("BEGIN IMMEDIATE") == 202
