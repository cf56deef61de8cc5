"""The client under Google's bad days: rate-limit storms, 5xx, slow visibility, quotas.

Faults are injected in the emulator (never by patching our code), so what is tested is the
whole path: HTTP status and envelope -> classification -> backoff -> retry.
"""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from tests.support.fast_retry import FAST_RETRY, SleepRecorder
from tests.support.google import ADMIN, new_user
from workspace.directory import GoogleDirectory
from workspace.emulator.control_client import EmulatorControl
from workspace.errors import BackendError, InvalidRequest, RateLimited
from workspace.google_quotas import BudgetBook
from workspace.google_session import GoogleConnection, ServiceFactory
from workspace.models import NewUser, UserName
from workspace.pacing import LocalQuota

GET = "directory.users.get"


@pytest.fixture
def seeded(emulator: EmulatorControl, directory: GoogleDirectory) -> EmulatorControl:
    emulator.seed(org_units=["/Aprendices/Distrito Capital"], schemas=[])
    emulator.seed(
        users=[
            {
                "primaryEmail": "1000@misena.edu.co",
                "name": {"givenName": "Ana", "familyName": "Ruiz"},
                "password": "Temporal-2026-xyz",
            }
        ]
    )
    emulator.clear_counters()
    return emulator


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (429, "rateLimitExceeded"),
        (403, "userRateLimitExceeded"),
        (403, "rateLimitExceeded"),
        (403, "quotaExceeded"),
        (503, "backendError"),
        (500, "backendError"),
    ],
)
def test_recovers_from_a_storm(
    seeded: EmulatorControl,
    directory: GoogleDirectory,
    sleeps: SleepRecorder,
    status: int,
    reason: str,
) -> None:
    seeded.set_faults([{"method": GET, "status": status, "reason": reason, "times": 4}])

    user = directory.get_user("1000@misena.edu.co")

    assert user is not None
    assert seeded.calls(GET, status) == 4
    assert seeded.calls(GET, 200) == 1
    assert len(sleeps.waits) == 4
    assert sleeps.waits == sorted(sleeps.waits)


def test_gives_up_after_the_policy_attempts(seeded: EmulatorControl, directory: GoogleDirectory) -> None:
    seeded.set_faults([{"method": GET, "status": 503, "reason": "backendError", "rate": 1.0}])
    with pytest.raises(BackendError):
        directory.get_user("1000@misena.edu.co")
    assert seeded.calls(GET, 503) == FAST_RETRY.max_attempts


def test_a_400_is_not_retried(
    seeded: EmulatorControl, directory: GoogleDirectory, sleeps: SleepRecorder
) -> None:
    seeded.set_faults([{"method": GET, "status": 400, "reason": "invalid", "times": 1}])
    with pytest.raises(InvalidRequest):
        directory.get_user("1000@misena.edu.co")
    assert seeded.calls(GET) == 1
    assert sleeps.waits == []


def test_retry_after_is_honoured(
    seeded: EmulatorControl, directory: GoogleDirectory, sleeps: SleepRecorder
) -> None:
    seeded.set_faults(
        [
            {
                "method": GET,
                "status": 429,
                "reason": "rateLimitExceeded",
                "times": 1,
                "retry_after": 7,
            }
        ]
    )
    directory.get_user("1000@misena.edu.co")
    assert sleeps.waits == [7.0]


def test_rate_limit_error_surfaces_typed_when_it_never_ends(
    seeded: EmulatorControl, directory: GoogleDirectory
) -> None:
    seeded.set_faults([{"method": GET, "status": 429, "reason": "rateLimitExceeded", "rate": 1.0}])
    with pytest.raises(RateLimited):
        directory.get_user("1000@misena.edu.co")


def test_not_yet_visible_user_is_waited_for_after_our_create(
    seeded: EmulatorControl, connection: GoogleConnection
) -> None:
    """Right after our insert, Google may 404/412 for a while: that is not 'gone'."""
    directory = GoogleDirectory(ServiceFactory(connection), ADMIN, retry=FAST_RETRY)
    seeded.configure(consistency_delay_seconds=0.2)
    directory.create_user(new_user(org_unit_path="/Aprendices/Distrito Capital", custom_schemas={}))

    user = directory.get_user("1098765432@misena.edu.co")
    directory.set_password("1098765432@misena.edu.co", SecretStr("Otra-Clave-2026"))

    assert user is not None
    assert seeded.calls(GET, 404) >= 1
    assert seeded.calls(GET, 200) == 1


def test_an_unknown_user_404_is_not_retried(
    seeded: EmulatorControl, directory: GoogleDirectory, sleeps: SleepRecorder
) -> None:
    assert directory.get_user("nadie@misena.edu.co") is None
    assert seeded.calls(GET) == 1
    assert sleeps.waits == []


def test_pacing_keeps_creates_under_googles_quota(
    emulator: EmulatorControl, connection: GoogleConnection
) -> None:
    """With Google's limits on, a burst of creates paced by the client never meets a 403.

    Paced at 9/s rather than the default 9.6: the margin to Google's 10/s must absorb the jitter of
    a test machine running other tests at once (the default's ~40 ms is for a service's machine).
    """
    emulator.clear_counters()
    budgets = BudgetBook.of(queries_per_minute=2300, creates_per_second=9.0, sends_per_minute=144)
    paced = GoogleDirectory(ServiceFactory(connection), ADMIN, retry=FAST_RETRY, quota=LocalQuota(budgets))
    for i in range(25):
        paced.create_user(
            NewUser(
                primary_email=f"{2000 + i}@misena.edu.co",
                name=UserName(given_name="Pedro", family_name="Gómez"),
                password=SecretStr("Temporal-2026-xyz"),
            )
        )
    assert emulator.calls("directory.users.insert", 200) == 25
    assert emulator.calls("directory.users.insert", 403) == 0


def test_without_pacing_the_same_burst_hits_the_quota(
    emulator: EmulatorControl, connection: GoogleConnection, sleeps: SleepRecorder
) -> None:
    """The control for the test above: the emulator's quota is real, so pacing is what helps.

    The emulator's clock is frozen, so "one second" cannot pass between the calls and the
    11th insert must meet Google's 403 ``rateLimitExceeded``; the sleeps are recorded, not slept.
    """
    emulator.clear_counters()
    emulator.freeze_clock()
    unpaced = GoogleDirectory(
        ServiceFactory(connection),
        ADMIN,
        retry=FAST_RETRY,
        quota=LocalQuota.unlimited(),
        sleep=sleeps,
    )

    def create_burst() -> None:
        for i in range(25):
            unpaced.create_user(
                NewUser(
                    primary_email=f"{3000 + i}@misena.edu.co",
                    name=UserName(given_name="Pedro", family_name="Gómez"),
                    password=SecretStr("Temporal-2026-xyz"),
                )
            )

    with pytest.raises(RateLimited):
        create_burst()
    assert emulator.calls("directory.users.insert", 200) == 10
    assert emulator.calls("directory.users.insert", 403) == FAST_RETRY.max_attempts
    assert sleeps.waits[0] >= 1.0  # Google's Retry-After, not our shorter backoff
