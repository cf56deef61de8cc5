"""Persistence: the SQLAlchemy engine, the tables, and their Alembic migrations.

One database holds everything — events, people, the job queue, credential deliveries — so
the webhook's event row and the job it queues commit together (the transactional outbox).
SQLite (WAL) is the embedded default; PostgreSQL is what lets replicas share the queue.

Importing the package registers every table on ``Base.metadata`` (the domain's in ``models``,
Google's budgets in ``budget_models``), so migrations and checks always see all of them.
"""

from app.db import budget_models, models

__all__ = ["budget_models", "models"]
