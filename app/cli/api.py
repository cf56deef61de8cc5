"""The staff commands' one way to the service: its ``/v1`` API over HTTP, with a profile's token.

Every staff command (``accounts``, ``jobs``, ``brake``, ``sync``, ``audit``) is a client of the
API, so a rule, its refusal and its audit entry (actor ``token:<name>``) exist once, in the
service. This module turns everything that can go wrong on the way into a :class:`CliError`:
the service unreachable (7), the token refused (8), and each problem+json by its status (see
:mod:`app.cli.plumbing`), with the problem's ``detail`` — asked in Spanish
(``Accept-Language: es``) — and the fields it names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from importlib.metadata import version
from typing import Any

import httpx

from app.cli.plumbing import CliError, ExitCode, ProfileOption, exit_for_status
from app.cli.profiles import DEMO_PROFILE, Profile, resolve
from app.cli.spanish_typer import SpanishTyper
from app.i18n import cli_gettext as _

#: Most calls answer in milliseconds; a plan reads Google and the whole roster (100,000 people
#: take ~25 s), an apply queues every reconcile: those get their own, longer wait.
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
LONG_TIMEOUT = httpx.Timeout(900.0, connect=5.0)


def not_running(profile: Profile) -> CliError:
    """The demo's service is gone; anything else cannot be reached."""
    if profile.name == DEMO_PROFILE:
        return CliError(
            ExitCode.NOT_CONNECTED,
            _("the demo service at {url} is not running: start `make run`").format(url=profile.url),
            prefixed=False,
        )
    return CliError(
        ExitCode.NOT_CONNECTED,
        _("cannot reach {url}: is the service running, and is the URL right? (`misena login`)").format(
            url=profile.url
        ),
    )


def _problem_message(response: httpx.Response) -> str:
    """The problem's ``detail`` and the fields it names; the status when it is not a problem."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return _("the service answered HTTP {status}").format(status=response.status_code)
    parts = [str(body["detail"])] if body.get("detail") else []
    for error in body.get("errors") or []:
        if isinstance(error, dict):
            parts.append(f"{error.get('field')}: {error.get('message')}")
    return "; ".join(parts) or str(body.get("title") or response.status_code)


def failure_of(response: httpx.Response, profile: Profile, not_found: str | None = None) -> CliError:
    status = response.status_code
    code = exit_for_status(status)
    if status == 401:
        return CliError(
            code,
            _("the service at {url} refused the token (unknown, revoked or mistyped): "
              "run `misena login` with a valid token").format(url=profile.url),
        )  # fmt: skip
    if status == 404 and not_found is not None:
        return CliError(code, not_found)
    return CliError(code, _problem_message(response))


class Api:
    """The service behind a profile: ``get``/``post`` answer the JSON, or raise a failure."""

    def __init__(self, profile: Profile, transport: httpx.BaseTransport | None = None) -> None:
        self.profile = profile
        self._client = httpx.Client(
            base_url=profile.url,
            headers={
                "Authorization": f"Bearer {profile.token}",
                "Accept-Language": "es",
                "User-Agent": f"misena-cli/{version('misena')}",
            },
            timeout=TIMEOUT,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        not_found: str | None = None,
        ok: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> httpx.Response:
        """The response, if 2xx (or a status in ``ok``); every other outcome is a failure."""
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.ConnectTimeout:
            raise not_running(self.profile) from None
        except httpx.TimeoutException:
            raise CliError(
                ExitCode.UNAVAILABLE,
                _("the service at {url} did not answer in time; retry later").format(url=self.profile.url),
            ) from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):
            raise CliError(
                ExitCode.USAGE,
                _("the profile's URL is not valid: {url} (`misena login --url http://...`)").format(
                    url=self.profile.url
                ),
            ) from None
        except httpx.TransportError:
            raise not_running(self.profile) from None
        if response.is_success or response.status_code in ok:
            return response
        raise failure_of(response, self.profile, not_found)

    def get(self, path: str, params: Mapping[str, Any] | None = None, *, not_found: str | None = None) -> Any:
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        return self.send("GET", path, params=clean, not_found=not_found).json()

    def post(
        self,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        not_found: str | None = None,
        long: bool = False,
    ) -> Any:
        response = self.send(
            "POST",
            path,
            json=dict(body or {}),
            not_found=not_found,
            timeout=LONG_TIMEOUT if long else TIMEOUT,
        )
        return response.json()

    @contextmanager
    def stream(self, path: str, *, not_found: str | None = None) -> Iterator[httpx.Response]:
        """A download, read as it arrives (a plan's export may be large)."""
        try:
            with self._client.stream("GET", path, timeout=LONG_TIMEOUT) as response:
                if not response.is_success:
                    response.read()
                    raise failure_of(response, self.profile, not_found)
                yield response
        except httpx.ConnectTimeout:
            raise not_running(self.profile) from None
        except httpx.TimeoutException:
            raise CliError(
                ExitCode.UNAVAILABLE,
                _("the service at {url} did not answer in time; retry later").format(url=self.profile.url),
            ) from None
        except httpx.TransportError:
            raise not_running(self.profile) from None


#: The ``--profile`` of the staff group running now (its callback runs before each command).
_PROFILE: ContextVar[str | None] = ContextVar("misena_profile", default=None)


def remember_profile(name: str | None) -> None:
    """A staff group's ``--profile``, kept for the command it runs."""
    _PROFILE.set(name)


def _take_profile(profile: ProfileOption = None) -> None:
    remember_profile(profile)


def staff_group(help_text: str) -> SpanishTyper:
    """A staff command group (``accounts``, ``jobs``, ...): a client of ``/v1`` whose every
    command takes the group's ``--profile`` (``misena sync --profile masivo plan ...``)."""
    group = SpanishTyper(help=help_text, no_args_is_help=True)
    group.callback()(_take_profile)
    return group


def api() -> Api:
    """The API behind the profile this command was asked to use."""
    return Api(resolve(_PROFILE.get()))
