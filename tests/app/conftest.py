"""The persistence fixtures (migrated engine, sessions, a settable clock, the job queue) for
the app's suites; each test that asks for them runs on SQLite and on PostgreSQL."""

from tests.support.stores import clock, engine, queue, sessions

__all__ = ["clock", "engine", "queue", "sessions"]
