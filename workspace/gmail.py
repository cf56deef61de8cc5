"""The Gmail adapter: sends a ready MIME message as one of the sender mailboxes.

Each sender is its own delegated subject with only the ``gmail.send`` scope. Sends are not
idempotent at Google, so a send is retried only for failures that mean "not accepted"
(rate limits, 5xx before acceptance); callers record delivery themselves.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from workspace.credential_email import to_gmail_raw
from workspace.google_session import GMAIL_SEND_SCOPES, ServiceFactory, execute
from workspace.pacing import Pacer
from workspace.retry import RetryPolicy, call_with_retry


class GmailSender:
    """:class:`~workspace.ports.MailSender` over ``users.messages.send``."""

    def __init__(
        self,
        services: ServiceFactory,
        *,
        retry: RetryPolicy | None = None,
        pacer: Pacer | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._services = services
        # Gmail's daily sending limit can answer "retry in hours": give that back to the
        # caller (who rotates senders) instead of blocking a worker.
        self._retry = retry or RetryPolicy(max_attempts=5, max_retry_after=120.0)
        self._pacer = pacer or Pacer(10.0, burst=5)
        self._sleep = sleep

    def send(self, sender: str, message: EmailMessage) -> str:
        body = {"raw": to_gmail_raw(message)}

        def attempt() -> Any:
            self._pacer.acquire()
            api = self._services.service("gmail", "v1", sender, GMAIL_SEND_SCOPES)
            return execute(api.users().messages().send(userId="me", body=body))

        sent = call_with_retry(attempt, self._retry, sleep=self._sleep)
        return str(sent["id"])
