"""Org units as the reconcile writes accounts into them: written to first, created only when
Google says the unit is missing.

Units are few and long-lived (one per kind of person and regional, made once in a tenant's
life), so asking ``orgunits.get`` before writing an account into one is a call spent on an
answer nearly always "yes" — once per unit and process, and processes restart. Google refuses a
``users.insert`` or ``users.update`` into a unit that does not exist with 400 ``INVALID_OU_ID``
and changes nothing, so the write itself is the check: on that refusal the path is created
(each level insert-first, a 409 meaning it is there already: one call a level, the fewest a
missing path can cost) and the write is made again. Any other refusal of a write into a unit
this process has not seen written to yet is taken as possibly the same one worded otherwise: the
unit is ensured (read, created if missing) and the write tried once more, so a refusal misread
costs two calls, never a lost account; a refusal of the account itself is raised by that retry.

A restore (``users.undelete``) still ensures the unit before it writes: it is rare, and its
refusals do not say which part of the request was wrong.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from app.logging_setup import get_logger
from workspace.errors import AlreadyExists, InvalidRequest, names_missing_org_unit
from workspace.ports import Directory

T = TypeVar("T")
log = get_logger(__name__)


class OrgUnits:
    """The org units this process has seen exist, and the writes into them."""

    def __init__(self, directory: Directory) -> None:
        self._directory = directory
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def write_into(self, path: str | None, write: Callable[[], T]) -> T:
        """``write()`` (an insert or update placing the account in ``path``; ``None``: the
        write moves no account), creating ``path`` first only if Google says it is missing."""
        if path is None:
            return write()
        try:
            result = write()
        except InvalidRequest as exc:
            if names_missing_org_unit(exc):
                self._create(path)
            elif self._is_known(path):
                raise
            else:  # Google may word it otherwise: check the unit (creating it if missing) once
                self._directory.ensure_org_unit(path)
                self._remember(path)  # it exists now: a refusal of the next write is the account's
            result = write()
        self._remember(path)
        return result

    def ensure(self, path: str) -> None:
        """Make sure ``path`` exists before a write that cannot tell a missing unit apart."""
        if not self._is_known(path):
            self._directory.ensure_org_unit(path)
            self._remember(path)

    def _is_known(self, path: str) -> bool:
        with self._lock:
            return path in self._known

    def _create(self, path: str) -> None:
        parts = [part for part in path.strip("/").split("/") if part]
        parent = "/"
        for depth, name in enumerate(parts):
            try:
                self._directory.create_org_unit(name, parent)
                log.info("org_unit_created", org_unit=parent.rstrip("/") + "/" + name)
            except AlreadyExists:
                pass  # there already, or another worker made it a moment ago
            parent = "/" + "/".join(parts[: depth + 1])

    def _remember(self, path: str) -> None:
        with self._lock:
            self._known.add(path)
