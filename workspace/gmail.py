"""The Gmail adapter: sends a ready MIME message as one of the sender mailboxes.

Each sender is its own delegated subject with only the ``gmail.send`` scope. Sends are not
idempotent at Google, so a send is retried here only for failures that mean "not accepted" and
pass in seconds (5xx before acceptance). A rate limit — short (``Retry-After: 1``) or Gmail's
daily sending limit — is given straight back: the caller owns the *pool* of senders, so it
rests this one and sends from another instead of holding a worker in a sleep while every other
worker keeps hitting the same limited mailbox. Each sender's sends are paced by its own quota
bucket (Gmail's per-user limit), which a short rate answer also slows down.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from workspace.credential_email import to_gmail_raw
from workspace.errors import MailSendingLimitExceeded, RateLimited
from workspace.google_quotas import gmail_sends
from workspace.google_session import GMAIL_SEND_SCOPES, ServiceFactory, execute
from workspace.pacing import LocalQuota, QuotaGate
from workspace.retry import RetryPolicy, call_with_retry


class GmailSender:
    """:class:`~workspace.ports.MailSender` over ``users.messages.send``."""

    def __init__(
        self,
        services: ServiceFactory,
        *,
        retry: RetryPolicy | None = None,
        quota: QuotaGate | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._services = services
        self._retry = retry or RetryPolicy(max_attempts=5, max_retry_after=120.0)
        self._quota = quota or LocalQuota()
        self._sleep = sleep

    def send(self, sender: str, message: EmailMessage) -> str:
        """Send and return Gmail's message id; :class:`RateLimited` comes back on the first 429."""
        body = {"raw": to_gmail_raw(message)}

        bucket = gmail_sends(sender)

        def attempt() -> Any:
            self._quota.take(bucket)
            api = self._services.service("gmail", "v1", sender, GMAIL_SEND_SCOPES)
            try:
                return execute(api.users().messages().send(userId="me", body=body))
            except MailSendingLimitExceeded:
                raise  # the daily limit is the sender pool's to handle, not a rate
            except RateLimited as exc:
                self._quota.refused(bucket, exc.retry_after)
                raise

        sent = call_with_retry(attempt, self._retry, sleep=self._sleep, hand_back=(RateLimited,))
        return str(sent["id"])
