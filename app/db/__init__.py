"""Persistence: the SQLAlchemy engine, the tables, and their Alembic migrations.

One database holds everything — events, people, the job queue, credential deliveries — so
the webhook's event row and the job it queues commit together (the transactional outbox).
SQLite (WAL) is the embedded default; PostgreSQL is what lets replicas share the queue.
"""
