"""Alembic migrations for :mod:`app.db.models` (run with ``misena migrate`` or ``alembic``)."""
