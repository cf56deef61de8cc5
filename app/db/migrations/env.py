"""Alembic's entry point, for both the ``alembic`` CLI and :func:`app.db.migrate.upgrade`.

Programmatic callers hand over an open connection in ``config.attributes["connection"]`` so
the migration runs inside their transaction (and under their lock). The CLI builds its engine
with :func:`app.db.engine.make_engine` from ``MISENA_DATABASE_URL`` — the same URL handling
and SQLite pragmas as the service, so foreign keys are enforced while migrating too.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from app.db.engine import make_engine, normalise_url
from app.db.models import Base

DEFAULT_URL = "sqlite:///var/misena.db"

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return os.environ.get("MISENA_DATABASE_URL", DEFAULT_URL)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_offline() -> None:
    """``alembic upgrade --sql``: print the SQL for a DBA instead of running it."""
    url = normalise_url(_url())
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        _configure(given)
        with context.begin_transaction():
            context.run_migrations()
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
