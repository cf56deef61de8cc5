"""Fixtures for the misena client (``workspace.directory`` / ``workspace.gmail``)."""

from __future__ import annotations

import pytest

from tests.support.fast_retry import FAST_RETRY, SleepRecorder
from tests.support.google import ADMIN
from workspace.directory import GoogleDirectory
from workspace.emulator.control_client import EmulatorControl
from workspace.google_session import GoogleConnection, ServiceFactory
from workspace.pacing import LocalQuota


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def directory(
    emulator: EmulatorControl, connection: GoogleConnection, sleeps: SleepRecorder
) -> GoogleDirectory:
    return GoogleDirectory(
        ServiceFactory(connection), ADMIN, retry=FAST_RETRY, quota=LocalQuota(), sleep=sleeps
    )
