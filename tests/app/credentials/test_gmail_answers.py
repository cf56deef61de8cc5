"""What the Gmail adapter hands the sender pool, against the emulator's Gmail through the real
client: the daily sending limit as its own kind with Google's retry time, a short rate limit on
its first answer (no worker held in a sleep), and a 5xx still retried in place."""

from __future__ import annotations

from typing import Any

import pytest

from app.i18n import translations
from tests.support.fast_retry import FAST_RETRY, SleepRecorder
from tests.support.harness import SENDER
from workspace.credential_email import CredentialEmail, render_credential_email
from workspace.emulator.control_client import EmulatorControl
from workspace.errors import DailyLimitExceeded, MailSendingLimitExceeded, RateLimited
from workspace.gmail import GmailSender
from workspace.google_session import GoogleConnection, ServiceFactory


def message() -> Any:
    return render_credential_email(
        CredentialEmail(
            recipient_email="majo.pena@example.com",
            recipient_name="María José",
            username="1098765432@misena.edu.co",
            temporary_password="Kp7q-wXq2-Rt9m-Ac4d",
        ),
        sender=SENDER,
        translations=translations("es"),
    )


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def gmail(tenant: EmulatorControl, connection: GoogleConnection, sleeps: SleepRecorder) -> GmailSender:
    return GmailSender(ServiceFactory(connection), retry=FAST_RETRY, sleep=sleeps)


def send_fault(status: int, reason: str, message: str, **trigger: Any) -> dict[str, Any]:
    rule = {"method": "gmail.users.messages.send", "status": status, "reason": reason, "message": message}
    return rule | trigger


def test_the_daily_sending_limit_comes_back_as_its_own_kind(
    tenant: EmulatorControl, gmail: GmailSender, sleeps: SleepRecorder
) -> None:
    tenant.configure(gmail_messages_per_day=1)
    tenant.freeze_clock()
    gmail.send(SENDER, message())
    with pytest.raises(MailSendingLimitExceeded) as caught:
        gmail.send(SENDER, message())
    assert "(Mail sending)" in str(caught.value)
    assert caught.value.retry_after is not None
    assert 86_000 < caught.value.retry_after <= 86_400, "until Gmail's rolling window frees a slot"
    assert sleeps.waits == []


@pytest.mark.parametrize(("status", "reason"), [(429, "rateLimitExceeded"), (403, "userRateLimitExceeded")])
def test_a_short_rate_limit_is_given_back_on_its_first_answer(
    tenant: EmulatorControl, gmail: GmailSender, sleeps: SleepRecorder, status: int, reason: str
) -> None:
    tenant.set_faults([send_fault(status, reason, "Rate Limit Exceeded", times=1, retry_after=1)])
    with pytest.raises(RateLimited) as caught:
        gmail.send(SENDER, message())
    assert not isinstance(caught.value, DailyLimitExceeded)
    assert caught.value.retry_after == 1
    assert tenant.calls("gmail.users.messages.send") == 1, "not retried here: the pool rotates"
    assert sleeps.waits == []
    assert gmail.send(SENDER, message())


def test_a_5xx_is_still_retried_in_place(
    tenant: EmulatorControl, gmail: GmailSender, sleeps: SleepRecorder
) -> None:
    tenant.set_faults([send_fault(503, "backendError", "Backend Error", times=2)])
    assert gmail.send(SENDER, message())
    assert tenant.calls("gmail.users.messages.send", 503) == 2
    assert len(sleeps.waits) == 2
