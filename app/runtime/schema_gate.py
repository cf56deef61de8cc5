"""Safe start: nothing works against a database whose schema is not the one this code expects.

Started before ``misena migrate`` (the order a container platform gives you when the API and
the migration job start together), the service used to accept webhooks it could not store and
its workers died on ``no such table``. Now the API answers 503 (so Sofia Plus retries) and the
workers idle, until the schema is current — then both go on by themselves, no restart. With
``MISENA_SCHEMA_ON_START=migrate`` the process migrates first (replicas take turns on a
PostgreSQL advisory lock, so the migration runs once).

Once the schema is current it stays current for this process (migrations only move forward),
so the check costs one query per second at most while waiting, and nothing after.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from app.db.migrate import current_revision, head_revision, known_revisions, upgrade
from app.logging_setup import get_logger
from app.runtime.supervision import describe

log = get_logger(__name__)


@dataclass(frozen=True)
class SchemaState:
    current: bool
    revision: str | None
    head: str
    error: str | None = None

    @property
    def reason(self) -> str | None:
        """Why the schema is not usable, in words for ``/readyz`` and the logs."""
        if self.current:
            return None
        if self.error is not None:
            return f"database unreachable ({self.error})"
        if self.revision is None:
            return "database not migrated: run `misena migrate`"
        return f"database at revision {self.revision}, this code needs {self.head}: run `misena migrate`"


class SchemaGate:
    def __init__(
        self, engine: Engine, *, recheck_seconds: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._engine = engine
        self._recheck = recheck_seconds
        self._clock = clock
        self._head = head_revision()
        self._known = known_revisions()
        self._lock = threading.Lock()
        self._last: SchemaState | None = None
        self._checked_at = float("-inf")
        self._announced = False

    def state(self) -> SchemaState:
        """The schema's state, re-read at most every ``recheck_seconds`` until it is current."""
        with self._lock:
            if self._last is not None and (
                self._last.current or self._clock() - self._checked_at < self._recheck
            ):
                return self._last
            self._last = self._read()
            self._checked_at = self._clock()
            if not self._last.current and not self._announced and self._last.error is None:
                self._announced = True
                log.warning("waiting_for_schema", revision=self._last.revision, head=self._head)
            elif self._last.current and self._announced:
                log.info("schema_current", revision=self._last.revision)
            return self._last

    def is_current(self) -> bool:
        return self.state().current

    def _read(self) -> SchemaState:
        try:
            revision = current_revision(self._engine)
        except Exception as exc:
            return SchemaState(False, None, self._head, error=describe(exc))
        # A revision this code does not know is a newer one (a rolling deploy migrated ahead):
        # migrations are additive, so older code keeps working against it.
        current = revision == self._head or (revision is not None and revision not in self._known)
        return SchemaState(current, revision, self._head)

    def migrate(self) -> None:
        """Bring the schema to head now (``MISENA_SCHEMA_ON_START=migrate``)."""
        upgrade(self._engine)
        with self._lock:
            self._last = None
        log.info("schema_migrated", revision=self.state().revision)
