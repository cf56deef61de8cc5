"""Knobs of the emulator: Google's documented limits (on by default) and test-only distortions."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ConsistencyMode = Literal["realistic", "404", "412"]


class EmulatorConfig(BaseModel):
    """Everything a test or benchmark may turn; ``PUT /_emulator/config`` replaces it whole.

    The limit defaults are Google's published ones, so code that passes against the emulator
    with limits on has already proved it paces itself.
    """

    domain: str = "misena.edu.co"
    customer_id: str = "C03misena"
    admin_email: str = "admin@misena.edu.co"
    limits_enabled: bool = True
    user_creates_per_second: int = Field(default=10, ge=1)
    directory_queries_per_minute: int = Field(default=2400, ge=1)
    gmail_messages_per_day: int = Field(default=2000, ge=1)
    #: Gmail's per-user rate limit: 15,000 quota units a minute, a send costing 100.
    gmail_sends_per_minute: int = Field(default=150, ge=1)
    #: Gmail's rolling window for ``gmail_messages_per_day`` (24 h); a benchmark shortens "a
    #: day" to seconds so a backlog of several days drains while it watches.
    gmail_sending_window_seconds: float = Field(default=86_400.0, gt=0.0, le=86_400.0)
    latency_ms: int = Field(default=0, ge=0, le=60_000)
    consistency_delay_seconds: float = Field(default=0.0, ge=0.0, le=600.0)
    consistency_mode: ConsistencyMode = "realistic"
    seed: int = 0
    #: Licensed seats: ``users.insert`` past this many users answers Google's 412 "Domain user
    #: limit reached."; ``None`` is a tenant with seats to spare.
    user_seat_limit: int | None = Field(default=None, ge=1)
