"""Fixtures for the misena client (``workspace.directory`` / ``workspace.gmail``)."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN
from workspace.directory import DirectoryPacing, GoogleDirectory
from workspace.emulator.control_client import EmulatorControl
from workspace.google_session import GoogleConnection, ServiceFactory
from workspace.retry import RetryPolicy

#: Fast, but with Google's shape: exponential growth and jitter, just scaled down.
FAST_RETRY = RetryPolicy(max_attempts=6, initial_backoff=0.01, max_backoff=0.2, jitter=0.01)


class SleepRecorder:
    """Stands in for time.sleep so tests see every backoff without waiting for it."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def directory(
    emulator: EmulatorControl, connection: GoogleConnection, sleeps: SleepRecorder
) -> GoogleDirectory:
    return GoogleDirectory(
        ServiceFactory(connection), ADMIN, retry=FAST_RETRY, pacing=DirectoryPacing(), sleep=sleeps
    )
