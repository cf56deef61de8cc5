"""A typed client for the emulator's ``/_emulator`` control plane (tests, benchmarks, demo)."""

from __future__ import annotations

from typing import Any

import httpx

from workspace.emulator.config import EmulatorConfig


class EmulatorControl:
    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/") + "/_emulator", timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def _json(self, response: httpx.Response) -> Any:
        response.raise_for_status()
        return response.json()

    def reset(self, config: EmulatorConfig | None = None) -> None:
        """Back to a new tenant; with ``config``, also replace the knobs (limits, latency...)."""
        if config is not None:
            self.configure(**config.model_dump())
        self._json(self._http.post("/reset"))

    def configure(self, **changes: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._json(self._http.patch("/config", json=changes))
        return result

    def seed(
        self,
        *,
        org_units: list[str] | None = None,
        users: list[dict[str, Any]] | None = None,
        groups: list[dict[str, Any]] | None = None,
        schemas: list[dict[str, Any]] | None = None,
    ) -> dict[str, int]:
        body = {
            "org_units": org_units or [],
            "users": users or [],
            "groups": groups or [],
            "schemas": schemas or [],
        }
        result: dict[str, int] = self._json(self._http.post("/seed", json=body))
        return result

    def set_faults(self, rules: list[dict[str, Any]], seed: int = 0) -> None:
        self._json(self._http.put("/faults", json={"rules": rules, "seed": seed}))

    def clear_faults(self) -> None:
        self._json(self._http.delete("/faults"))

    def counters(self) -> dict[str, Any]:
        result: dict[str, Any] = self._json(self._http.get("/counters"))
        return result

    def calls(self, method_id: str, status: int | None = None) -> int:
        by_status: dict[str, int] = self.counters()["calls"].get(method_id, {})
        if status is None:
            return sum(by_status.values())
        return by_status.get(str(status), 0)

    def clear_counters(self) -> None:
        self._json(self._http.delete("/counters"))

    def sent_mail(self) -> tuple[float, list[dict[str, Any]]]:
        """The emulator clock's now and every message sent, oldest first, each with ``sender``,
        ``to`` (lower-cased addresses) and ``sent_at`` on that clock. The clock is the machine's
        monotonic one (plus any advance), so a benchmark compares it with ``time.monotonic()``."""
        answer = self._json(self._http.get("/sent-mail"))
        return float(answer["now"]), list(answer["messages"])

    def password_valid(self, primary_email: str, password: str) -> bool:
        answer = self._http.post(
            "/password-check", json={"primaryEmail": primary_email, "password": password}
        )
        return bool(self._json(answer)["valid"])

    def sign_in(self, primary_email: str, password: str, *, new_password: str | None = None) -> str:
        """Sign ``primary_email`` in as a person would (the emulator's clock is the moment);
        returns the ``lastLoginTime`` Google now shows. Raises ``httpx.HTTPStatusError`` on a
        wrong password (401) or a suspended user (403)."""
        body: dict[str, str] = {"primaryEmail": primary_email, "password": password}
        if new_password is not None:
            body["newPassword"] = new_password
        answer: dict[str, str] = self._json(self._http.post("/sign-in", json=body))
        return answer["lastLoginTime"]

    def service_account(self, name: str = "misena", scopes: list[str] | None = None) -> Any:
        return self._json(self._http.post("/service-accounts", json={"name": name, "scopes": scopes}))

    def delegate(self, client_id: str, scopes: list[str]) -> None:
        """Set the scopes domain-wide delegation allows ``client_id`` (the key file's ``client_id``)."""
        self._json(self._http.put(f"/service-accounts/{client_id}/delegation", json={"scopes": scopes}))

    def grants(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._json(self._http.get("/grants"))
        return result

    def advance_clock(self, seconds: float) -> None:
        self._json(self._http.post("/clock", json={"seconds": seconds}))

    def freeze_clock(self) -> None:
        """Stop the emulator's clock, so quota windows and visibility delays are deterministic."""
        self._json(self._http.post("/clock", json={"freeze": True}))

    def quota_events(self, key: str) -> list[float]:
        """When the emulator counted each event of one limit (e.g. ``user-creates``)."""
        result: list[float] = self._json(self._http.get("/quota-events", params={"key": key}))
        return result

    def requests(self) -> list[dict[str, Any]]:
        """Request bodies received so far (secrets redacted), by discovery method id."""
        result: list[dict[str, Any]] = self._json(self._http.get("/requests"))
        return result
