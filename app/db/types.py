"""Column types and the clock: every timestamp in misena is timezone-aware UTC.

SQLite has no timestamp-with-time-zone type: SQLAlchemy stores text and hands back naive
values, and comparisons (``run_after <= now``) are plain string comparisons. Storing every
value as naive UTC text and reattaching UTC on the way out keeps both ordering and Python-side
arithmetic correct; on PostgreSQL ``timestamptz`` already does this and we only normalise the
zone so values compare equal whatever the session's ``TimeZone`` is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (the only kind this code base stores)."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware-UTC ``DateTime``; naive values are refused because their zone is a guess."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime (UTC)")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)  # noqa: S101 - the impl type guarantees it
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
