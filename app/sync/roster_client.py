"""The roster export pulled from a Sofia Plus HTTP endpoint, for sites that publish it there
rather than have IT staff download and upload a file by hand.

The body is streamed into a file the caller owns (a spool), never held whole, and checked only
for what HTTP can tell: status, media type, size. Reading it is left to the same importer an
uploaded file goes through (:func:`sofia_sync.roster.load_roster`), so a pulled export and the
same export uploaded make the same plan. CSV bytes pass through untouched: the importer, not
the ``charset`` a web server claims, detects the encoding.

Everything that can go wrong is one :class:`RosterPullError`, with a reason code and a
:class:`~app.texts.Text` (API clients read English; SENA's IT staff read Spanish). The bearer
token is a :class:`~pydantic.SecretStr` and reaches no message, repr or exception chain: the
httpx errors this wraps hold the request, headers included, so they are never chained.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import IO

import httpx
from pydantic import SecretStr

from app.texts import Text
from sofia_sync.roster import Scope

CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: A web server answering 200 with an HTML login or error page is the failure to catch here.
ACCEPTED_MEDIA_TYPES = frozenset({CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE})
DEFAULT_SOURCE_NAME = "sofia-plus"
DEFAULT_TIMEOUT_SECONDS = 120.0
RETRY_BACKOFF_SECONDS = 2.0
CHUNK_BYTES = 64 * 1024
_DETAIL_CHARS = 200


class PullFailure(StrEnum):
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    AUTH_REFUSED = "token_refused"
    NOT_FOUND = "not_found"
    UPSTREAM_STATUS = "upstream_status"
    WRONG_MEDIA_TYPE = "wrong_media_type"
    TOO_LARGE = "too_large"
    EMPTY = "empty"


class RosterPullError(Exception):
    """The roster could not be pulled. ``status`` is Sofia Plus's HTTP status when it answered;
    ``retryable`` marks the failures after which nothing was written (connection not made,
    5xx), the only ones worth one more attempt."""

    def __init__(
        self, reason: PullFailure, text: Text, *, status: int | None = None, retryable: bool = False
    ) -> None:
        super().__init__(f"{reason.value}: {text.en}")
        self.reason = reason
        self.text = text
        self.status = status
        self.retryable = retryable

    @property
    def en(self) -> str:
        return self.text.en

    @property
    def es(self) -> str:
        return self.text.es


@dataclass(frozen=True)
class PulledRoster:
    """What the download says about the export; its bytes are in the caller's file."""

    size: int
    media_type: str
    source_name: str
    #: From ``Last-Modified``: when Sofia Plus produced the export, if it said so.
    exported_at: datetime | None


class RosterPuller:
    """``GET <url>?scope=<scope>`` with the bearer token. ``client`` lets tests (or a caller
    with its own proxies and TLS settings) supply the httpx client; it is then not closed.
    ``timeout_seconds`` bounds each network wait (connect, each read), not the whole download:
    a large export on a slow link is fine as long as bytes keep coming."""

    def __init__(
        self,
        url: str,
        token: SecretStr,
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        client: httpx.Client | None = None,
        retry_backoff_seconds: float = RETRY_BACKOFF_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._url = httpx.URL(url)
        self._token = token
        self._timeout = httpx.Timeout(timeout_seconds)
        self._timeout_seconds = timeout_seconds
        self._client = client
        self._backoff = retry_backoff_seconds
        self._sleep = sleep
        # Where the roster comes from, for messages: no credentials, no query.
        self._where = f"{self._url.scheme}://{self._url.netloc.decode('ascii')}{self._url.path}"

    def __repr__(self) -> str:
        return f"RosterPuller(url={self._where!r})"

    def pull(self, scope: Scope, into: IO[bytes], *, max_bytes: int) -> PulledRoster:
        """Write the export for ``scope`` into ``into``. After a failure ``into`` may hold part
        of a body: the caller discards it."""
        url = self._url.copy_merge_params({"scope": str(scope)})
        if self._client is not None:
            return self._with_retry(self._client, url, into, max_bytes)
        with httpx.Client(timeout=self._timeout) as client:
            return self._with_retry(client, url, into, max_bytes)

    def _with_retry(
        self, client: httpx.Client, url: httpx.URL, into: IO[bytes], max_bytes: int
    ) -> PulledRoster:
        try:
            return self._attempt(client, url, into, max_bytes)
        except RosterPullError as failure:
            if not failure.retryable:
                raise
        self._sleep(self._backoff)
        return self._attempt(client, url, into, max_bytes)

    def _attempt(self, client: httpx.Client, url: httpx.URL, into: IO[bytes], max_bytes: int) -> PulledRoster:
        failure: RosterPullError
        try:
            with client.stream("GET", url, headers=self._headers(), timeout=self._timeout) as response:
                return self._receive(response, into, max_bytes)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            failure = self._unreachable(exc, retryable=True)
        except httpx.TimeoutException:
            failure = RosterPullError(
                PullFailure.TIMEOUT,
                Text(
                    "Sofia Plus at {where} did not answer within {seconds:g} seconds.",
                    where=self._where,
                    seconds=self._timeout_seconds,
                ),
            )
        except httpx.HTTPError as exc:
            failure = self._unreachable(exc, retryable=False)
        # Raised outside the handlers, so the httpx error (and its request's headers) is not
        # the new exception's context.
        raise failure

    def _headers(self) -> dict[str, str]:
        # Built per request and held by no variable of ours: a traceback rendered with its
        # locals shows the SecretStr, masked, never the token.
        return {
            "Authorization": f"Bearer {self._token.get_secret_value()}",
            "Accept": f"{CSV_MEDIA_TYPE}, {XLSX_MEDIA_TYPE}",
        }

    def _receive(self, response: httpx.Response, into: IO[bytes], max_bytes: int) -> PulledRoster:
        self._check_status(response.status_code)
        media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type not in ACCEPTED_MEDIA_TYPES:
            raise RosterPullError(
                PullFailure.WRONG_MEDIA_TYPE,
                Text(
                    "Sofia Plus at {where} sent {media_type}, not a CSV or XLSX roster "
                    "(a login or error page?).",
                    where=self._where,
                    media_type=media_type or Text("no media type"),
                ),
            )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise self._too_large(max_bytes)
        size = 0
        for chunk in response.iter_bytes(CHUNK_BYTES):
            size += len(chunk)
            if size > max_bytes:
                raise self._too_large(max_bytes)
            into.write(chunk)
        if size == 0:
            raise RosterPullError(
                PullFailure.EMPTY,
                Text("Sofia Plus at {where} sent an empty roster.", where=self._where),
            )
        return PulledRoster(
            size=size,
            media_type=media_type,
            source_name=self._source_name(response),
            exported_at=_http_date(response.headers.get("last-modified")),
        )

    def _check_status(self, status: int) -> None:
        if 200 <= status < 300:
            return
        if status in (401, 403):
            raise RosterPullError(
                PullFailure.AUTH_REFUSED,
                Text(
                    "Sofia Plus at {where} refused the roster token (HTTP {status}); "
                    "check the configured token.",
                    where=self._where,
                    status=status,
                ),
                status=status,
            )
        if status == 404:
            raise RosterPullError(
                PullFailure.NOT_FOUND,
                Text(
                    "Sofia Plus has no roster at {where} (HTTP 404); check the configured URL.",
                    where=self._where,
                ),
                status=status,
            )
        raise RosterPullError(
            PullFailure.UPSTREAM_STATUS,
            Text(
                "Sofia Plus at {where} answered HTTP {status} instead of the roster.",
                where=self._where,
                status=status,
            ),
            status=status,
            retryable=status >= 500,
        )

    def _source_name(self, response: httpx.Response) -> str:
        disposition = response.headers.get("content-disposition")
        if disposition:
            header = Message()
            header["content-disposition"] = disposition
            named = _file_name(header.get_filename() or "")
            if named:
                return named
        return _file_name(self._url.path) or DEFAULT_SOURCE_NAME

    def _too_large(self, max_bytes: int) -> RosterPullError:
        return RosterPullError(
            PullFailure.TOO_LARGE,
            Text(
                "The roster from {where} is larger than the limit of {limit} bytes.",
                where=self._where,
                limit=max_bytes,
            ),
        )

    def _unreachable(self, exc: httpx.HTTPError, *, retryable: bool) -> RosterPullError:
        # httpx's messages name the socket error, never the headers; the token is scrubbed
        # anyway, in case a transport ever echoes the request.
        detail = (str(exc) or type(exc).__name__).replace(self._token.get_secret_value(), "[secure]")
        detail = detail[:_DETAIL_CHARS]
        return RosterPullError(
            PullFailure.UNREACHABLE,
            Text("Sofia Plus at {where} could not be reached ({detail}).", where=self._where, detail=detail),
            retryable=retryable,
        )


def _file_name(path: str) -> str:
    """The last segment of a path, without control characters: a header or URL is not
    trusted to name a file, only to label a run."""
    last = path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return "".join(ch for ch in last if unicodedata.category(ch)[0] != "C").strip()


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
