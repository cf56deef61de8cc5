"""IT staff API helpers: tokens with chosen scopes and an authenticated client on the harness."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from app.auth import Scope, issue_token
from tests.service.conftest import Harness


@dataclass
class StaffClient:
    harness: Harness
    token: str

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(self.harness.base_url + path.lstrip("/"), params=params, headers=self._headers())

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return httpx.post(self.harness.base_url + path.lstrip("/"), json=body or {}, headers=self._headers())


def staff_client(harness: Harness, *scopes: Scope, name: str = "mesa-de-ayuda") -> StaffClient:
    issued = issue_token(harness.services.sessions, name, scopes or (Scope.ADMIN,), created_by="test")
    return StaffClient(harness, issued.token)
