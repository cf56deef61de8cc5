"""Cheap, harmless questions to Google that tell whether misena's set-up there is right.

``misena doctor`` (:mod:`app.doctor`) asks them before anything real is attempted: a token per
scope (so a scope missing from domain-wide delegation is named), reads of the admin subject,
the domain, the org units and the custom schema, and, per sender mailbox, a Gmail send that
Google refuses for having no recipient — proof the mailbox can send, with nothing mailed to
anyone. Each probe answers Google's own refusal (:class:`TokenRefusedError` or a
:class:`~workspace.errors.WorkspaceError`), never a verdict: wording the verdict is app's.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import google_auth_httplib2
import httplib2
from google.auth.exceptions import GoogleAuthError, RefreshError

from workspace.errors import BackendError, InvalidRequest, NotFound, classify_transport_error
from workspace.google_session import SCOPE, TRANSPORT_ERRORS, GoogleConnection, ServiceFactory, execute

#: Where a Google answer's ``Date`` is read when no emulator endpoint is configured.
GOOGLE_ENDPOINT = "https://admin.googleapis.com/"
#: ``schemas.get`` takes either; misena itself never needs them (it does not create the schema).
SCHEMA_READ_SCOPES = (SCOPE + "admin.directory.userschema.readonly", SCOPE + "admin.directory.userschema")
#: What Gmail answers a message with no recipient: the send was refused, the mailbox can send.
_NO_RECIPIENT = "recipient address required"


class TokenRefusedError(Exception):
    """The token endpoint's refusal: OAuth's ``error`` code and Google's description."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


class Preflight:
    """The probes, as ``admin`` (the Directory subject) and as each sender."""

    def __init__(self, connection: GoogleConnection, *, admin: str, customer: str) -> None:
        self._connection = connection
        self._admin = admin
        self._customer = customer

    def client_id(self) -> str | None:
        """The service account's OAuth client id, the one the delegation page lists."""
        info = self._connection.key_info
        if info is None and self._connection.key_file is not None:
            info = json.loads(Path(self._connection.key_file).read_text("utf-8"))
        return str(info["client_id"]) if info and "client_id" in info else None

    def credentials_for(self, subject: str) -> None:
        """Read the key and build credentials for ``subject`` (no network): a key that cannot be
        read or used raises here, before any probe."""
        self._connection.credentials(subject, [SCOPE + "admin.directory.user"])

    def token(self, subject: str, scope: str) -> None:
        """Ask for one token for ``subject`` with only ``scope``; raises :class:`TokenRefusedError`."""
        credentials = self._connection.credentials(subject, [scope])
        # google-auth's refresh is untyped; this is its documented signature
        refresh: Callable[[Any], None] = credentials.refresh
        request = google_auth_httplib2.Request(httplib2.Http(timeout=self._connection.timeout_seconds))
        try:
            refresh(request)
        except RefreshError as exc:
            details = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
            raise TokenRefusedError(
                str(details.get("error", "refused")), str(details.get("error_description", exc.args[0]))
            ) from None
        except GoogleAuthError as exc:
            raise TokenRefusedError("transport", str(exc)) from None

    def _directory(self, scopes: tuple[str, ...]) -> Any:
        return ServiceFactory(self._connection).service("admin", "directory_v1", self._admin, scopes)

    def admin_user(self, scopes: tuple[str, ...]) -> dict[str, Any]:
        """The subject as the Directory shows it to itself (a call only an admin may make)."""
        users = self._directory(scopes).users()
        answer: dict[str, Any] = execute(users.get(userKey=self._admin, viewType="admin_view"))
        return answer

    def user(self, scopes: tuple[str, ...], address: str) -> dict[str, Any] | None:
        try:
            answer: dict[str, Any] = execute(self._directory(scopes).users().get(userKey=address))
        except NotFound:
            return None
        return answer

    def list_domain(self, scopes: tuple[str, ...], domain: str) -> None:
        """One user of ``domain``: Google refuses the listing of a domain not this tenant's."""
        execute(self._directory(scopes).users().list(domain=domain, maxResults=1, fields="users(id)"))

    def org_unit_exists(self, scopes: tuple[str, ...], path: str) -> bool:
        units = self._directory(scopes).orgunits()
        try:
            execute(units.get(customerId=self._customer, orgUnitPath=path.lstrip("/")))
        except NotFound:
            return False
        return True

    def schema(self, scope: str, name: str) -> dict[str, Any] | None:
        schemas = self._directory((scope,)).schemas()
        try:
            answer: dict[str, Any] = execute(schemas.get(customerId=self._customer, schemaKey=name))
        except NotFound:
            return None
        return answer

    def can_send(self, sender: str, scopes: tuple[str, ...]) -> None:
        """Send ``sender`` a message with no recipient: Gmail's refusal of it is the pass.
        Raises the :class:`~workspace.errors.WorkspaceError` of any other answer."""
        message = EmailMessage()
        message["From"] = sender
        message["Subject"] = "misena doctor"
        message.set_content("misena doctor: no recipient, never delivered.")
        raw = base64.urlsafe_b64encode(message.as_bytes()).decode()
        gmail = ServiceFactory(self._connection).service("gmail", "v1", sender, scopes)
        try:
            execute(gmail.users().messages().send(userId="me", body={"raw": raw}))
        except InvalidRequest as exc:
            if _NO_RECIPIENT in exc.message.lower():
                return
            raise
        raise InvalidRequest("Gmail accepted a message with no recipient")

    def server_date(self) -> datetime:
        """The ``Date`` Google's front end stamps its answer with (any answer will do)."""
        endpoint = self._connection.api_endpoint or GOOGLE_ENDPOINT
        try:
            response, _ = httplib2.Http(timeout=self._connection.timeout_seconds).request(endpoint, "HEAD")
            return parsedate_to_datetime(response["date"])
        except TRANSPORT_ERRORS as exc:
            raise classify_transport_error(exc) from exc
        except (KeyError, ValueError, TypeError) as exc:
            raise BackendError(f"no readable Date in Google's answer: {exc}") from exc
