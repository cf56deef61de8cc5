"""Credentials and per-thread service objects for the Google APIs.

google-api-python-client's ``Http`` objects are not thread-safe, so each thread gets its own
service (built once from the static discovery document bundled with the library, so no
network call to fetch it). google-auth does the service account + domain-wide delegation:
one subject for the Directory (the configured admin), one per sender mailbox for Gmail.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import google.auth
import google_auth_httplib2
import httplib2
from google.auth.credentials import Credentials
from google.auth.exceptions import GoogleAuthError
from google.oauth2 import service_account
from googleapiclient.discovery import Resource, build
from googleapiclient.errors import HttpError

from workspace.call_metrics import recorded
from workspace.errors import classify_http_error, classify_transport_error

SCOPE = "https://www.googleapis.com/auth/"
DIRECTORY_SCOPES = (
    SCOPE + "admin.directory.user",
    SCOPE + "admin.directory.orgunit",
    SCOPE + "admin.directory.group",
)
GMAIL_SEND_SCOPES = (SCOPE + "gmail.send",)


@dataclass(frozen=True)
class GoogleConnection:
    """Where and as whom misena talks to Google.

    ``key_file`` is a service-account key with domain-wide delegation; without it, application
    default credentials are used (they must support ``with_subject``). ``api_endpoint`` is only
    set to point at the emulator.
    """

    key_file: Path | None = None
    key_info: dict[str, Any] | None = None
    api_endpoint: str | None = None
    timeout_seconds: float = 30.0

    def credentials(self, subject: str, scopes: Sequence[str]) -> Credentials:
        if self.key_info is not None or self.key_file is not None:
            info = self.key_info or json.loads(Path(str(self.key_file)).read_text("utf-8"))
            creds = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                info, scopes=scopes
            )
            delegated_key: Credentials = creds.with_subject(subject)
            return delegated_key
        default, _ = google.auth.default(scopes=list(scopes))
        with_subject = getattr(default, "with_subject", None)
        if with_subject is None:
            raise RuntimeError("application default credentials cannot act as a subject")
        delegated: Credentials = with_subject(subject)
        return delegated


class ServiceFactory:
    """One built service per (thread, API, subject); credentials are shared and refreshed."""

    def __init__(self, connection: GoogleConnection) -> None:
        self._connection = connection
        self._local = threading.local()
        self._credentials: dict[tuple[str, tuple[str, ...]], Credentials] = {}
        self._lock = threading.Lock()

    def service(self, api: str, version: str, subject: str, scopes: Sequence[str]) -> Any:
        cache: dict[tuple[str, str], Any] = self._local.__dict__.setdefault("services", {})
        key = (f"{api}:{version}", subject)
        if key not in cache:
            cache[key] = Collections(self._build(api, version, subject, tuple(scopes)))
        return cache[key]

    def _shared_credentials(self, subject: str, scopes: tuple[str, ...]) -> Credentials:
        with self._lock:
            creds = self._credentials.get((subject, scopes))
            if creds is None:
                creds = self._connection.credentials(subject, scopes)
                self._credentials[(subject, scopes)] = creds
            return creds

    def _build(self, api: str, version: str, subject: str, scopes: tuple[str, ...]) -> Any:
        http = google_auth_httplib2.AuthorizedHttp(
            self._shared_credentials(subject, scopes),
            http=httplib2.Http(timeout=self._connection.timeout_seconds),
        )
        options = {"api_endpoint": self._connection.api_endpoint} if self._connection.api_endpoint else None
        return build(
            api,
            version,
            http=http,
            client_options=options,
            static_discovery=True,
            cache_discovery=False,
        )


class Collections:
    """A built service (or one of its collections) whose collections are made once.

    google-api-python-client makes a new ``Resource`` each time a collection is asked for
    (``service.users()``), building every method of it from the discovery document: profiled,
    about a tenth of a worker's CPU at Google's creation rate went there, twice per Gmail send
    (``users().messages()``). A collection takes no arguments, so the one made first is kept
    (per service, so per thread, like the service itself); calls with arguments — the request
    methods — and everything else pass through unchanged."""

    def __init__(self, resource: Any) -> None:
        self._resource = resource
        self._made: dict[str, Collections] = {}

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._resource, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            if args or kwargs:
                return attribute(*args, **kwargs)
            made = self._made.get(name)
            if made is not None:
                return made
            result = attribute()
            if not isinstance(result, Resource):
                return result
            self._made[name] = Collections(result)
            return self._made[name]

        return call


#: Failures before Google could answer: the network, or the token endpoint refusing us.
TRANSPORT_ERRORS = (OSError, httplib2.HttpLib2Error, GoogleAuthError)


def execute(request: Any, *, recently_created: bool = False) -> Any:
    """Run one prepared request once, turning every failure into a typed WorkspaceError.

    Retrying is the caller's business (``num_retries=0``): the library's own retry loop knows
    neither our pacing nor Google's Retry-After. Every call is counted and timed here
    (:mod:`workspace.call_metrics`), whatever its outcome.
    """
    with recorded(request):
        try:
            return request.execute(num_retries=0)
        except HttpError as exc:
            raise classify_http_error(exc, recently_created=recently_created) from None
        except TRANSPORT_ERRORS as exc:
            raise classify_transport_error(exc) from exc
