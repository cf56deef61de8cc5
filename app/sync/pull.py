"""A bulk sync planned from the roster Sofia Plus publishes over HTTP: the same plan an uploaded
export gets (:meth:`app.sync.runs.SyncRuns.plan`), with only the download in front.

Shared by ``misena sync pull`` and ``POST /v1/sync-runs/pull`` so both refuse alike: not
configured → :class:`~app.errors.ConflictError` (409), an export over the limit →
:class:`~app.errors.TooLargeError` (413, as for an upload), anything else Sofia Plus got wrong →
:class:`~app.errors.UpstreamError` (502) naming the reason. Each refusal's API detail holds
the language the client asks for (IT staff read it off the API too); the terminal prints the
Spanish.
"""

from __future__ import annotations

import tempfile
from typing import BinaryIO, cast

import httpx

from app.errors import ConflictError, TooLargeError, UpstreamError
from app.logging_setup import get_logger
from app.settings import Settings
from app.sync.roster_client import PullFailure, RosterPuller, RosterPullError
from app.sync.roster_input import parse_scope
from app.sync.runs import SyncRuns
from app.texts import Text

log = get_logger(__name__)
#: Up to this much of a download stays in memory; more goes to a temporary file.
SPOOL_IN_MEMORY = 8 * 1024 * 1024


def roster_puller(settings: Settings, client: httpx.Client | None = None) -> RosterPuller:
    if settings.sofia_roster_url is None or settings.sofia_roster_token is None:
        raise ConflictError(
            Text(
                "No Sofia Plus roster URL is configured (MISENA_SOFIA_ROSTER_URL and "
                "MISENA_SOFIA_ROSTER_TOKEN); upload the export instead."
            ),
            title=Text("Sofia Plus roster pull not configured"),
        )
    return RosterPuller(
        str(settings.sofia_roster_url),
        settings.sofia_roster_token,
        timeout_seconds=settings.sofia_roster_timeout_seconds,
        client=client,
    )


def pull_and_plan(
    settings: Settings,
    runs: SyncRuns,
    *,
    scope: str,
    actor: str,
    max_bytes: int,
    client: httpx.Client | None = None,
) -> int:
    """Download the export for ``scope`` and plan it; returns the run's id. Blocks (network,
    then the Directory snapshot): the API runs it in a worker thread. Takes the settings and
    the sync runs rather than the whole services container: runtime wires the features, so a
    feature never imports it."""
    chosen = parse_scope(scope)  # a bad scope is a 422 before anything is downloaded
    puller = roster_puller(settings, client)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        try:
            pulled = puller.pull(chosen, spool, max_bytes=max_bytes)
        except RosterPullError as exc:
            log.warning("sync_pull_failed", reason=exc.reason.value, upstream_status=exc.status)
            # The reason code leads the detail in every language: clients match on it.
            text = Text("{reason}: {message}", reason=exc.reason.value, message=exc.text)
            if exc.reason is PullFailure.TOO_LARGE:
                raise TooLargeError(text, title=Text("Roster export too large")) from exc
            raise UpstreamError(text, title=Text("Sofia Plus did not deliver the roster")) from exc
        log.info(
            "sync_pulled", size=pulled.size, media_type=pulled.media_type, source_name=pulled.source_name
        )
        spool.seek(0)
        return runs.plan(
            cast(BinaryIO, spool),
            scope=scope,
            actor=actor,
            source_name=pulled.source_name,
            exported_at=pulled.exported_at,
        )
