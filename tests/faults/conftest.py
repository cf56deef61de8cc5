"""Fault suites: the whole service with a fault injected for real (Google errors, killed
processes, an unreachable database, hostile input). They reuse the service harness."""

from __future__ import annotations

from tests.db.databases import database_url
from tests.service.conftest import harness, make_harness, tenant

__all__ = ["database_url", "harness", "make_harness", "tenant"]
