"""Every Google call is counted where every call passes (``google_session.execute``): by API,
method and the HTTP status Google answered — or ``error`` when no answer came — and timed."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from tests.support.fast_retry import FAST_RETRY
from tests.support.google import ADMIN, SOFIA_SCHEMA, new_user
from workspace.directory import GoogleDirectory
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import free_port
from workspace.errors import RetryableError
from workspace.google_session import GoogleConnection, ServiceFactory
from workspace.pacing import LocalQuota


@pytest.fixture
def tenant(emulator: EmulatorControl) -> EmulatorControl:
    emulator.seed(org_units=["/Aprendices/Distrito Capital", "/Instructores"], schemas=[SOFIA_SCHEMA])
    return emulator


def calls(api: str, method: str, status: str) -> float:
    labels = {"api": api, "method": method, "status": status}
    return REGISTRY.get_sample_value("misena_google_requests_total", labels) or 0.0


def timed(api: str, method: str) -> float:
    labels = {"api": api, "method": method}
    return REGISTRY.get_sample_value("misena_google_request_duration_seconds_count", labels) or 0.0


def test_each_answer_is_counted_by_method_and_status(
    tenant: EmulatorControl, directory: GoogleDirectory
) -> None:
    before = calls("directory", "users.insert", "200"), calls("directory", "users.get", "404")
    timed_before = timed("directory", "users.insert")
    directory.create_user(new_user("1098765432"))
    assert directory.get_user("nadie@misena.edu.co") is None
    assert calls("directory", "users.insert", "200") == before[0] + 1
    assert calls("directory", "users.get", "404") == before[1] + 1
    assert timed("directory", "users.insert") == timed_before + 1


def test_each_retry_attempt_is_a_call_of_its_own(tenant: EmulatorControl, directory: GoogleDirectory) -> None:
    tenant.set_faults([{"method": "directory.users.get", "status": 503, "reason": "backendError",
                        "message": "Backend Error", "times": 2}])  # fmt: skip
    failed, found = calls("directory", "users.get", "503"), calls("directory", "users.get", "404")
    assert directory.get_user("nadie@misena.edu.co") is None
    assert calls("directory", "users.get", "503") == failed + 2
    assert calls("directory", "users.get", "404") == found + 1


def test_a_call_google_never_answered_is_an_error(key_info: dict[str, object]) -> None:
    nowhere = GoogleConnection(
        key_info=key_info, api_endpoint=f"http://127.0.0.1:{free_port()}", timeout_seconds=2
    )
    directory = GoogleDirectory(
        ServiceFactory(nowhere), ADMIN, retry=FAST_RETRY, quota=LocalQuota.unlimited()
    )
    before = calls("directory", "users.get", "error")
    with pytest.raises(RetryableError):
        directory.get_user("nadie@misena.edu.co")
    assert calls("directory", "users.get", "error") == before + FAST_RETRY.max_attempts
