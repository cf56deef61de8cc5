"""The test tenant's names and Google's own client pointed at the emulator.

Outside ``conftest.py`` so that helpers and tests import them as a module, not as a conftest.
"""

from __future__ import annotations

from typing import Any

from google.oauth2 import service_account
from googleapiclient.discovery import build

from workspace.emulator.server import EmulatorServer

ADMIN = "admin@misena.edu.co"
DOMAIN = "misena.edu.co"
SCOPE = "https://www.googleapis.com/auth/"


def google_service(
    server: EmulatorServer,
    key: dict[str, Any],
    api: str,
    version: str,
    *,
    subject: str = ADMIN,
    scopes: list[str] | None = None,
) -> Any:
    """The unmodified google-api-python-client, pointed at the emulator."""
    wanted = scopes or [
        SCOPE + "admin.directory.user",
        SCOPE + "admin.directory.orgunit",
        SCOPE + "admin.directory.group",
        SCOPE + "admin.directory.userschema",
    ]
    credentials = service_account.Credentials.from_service_account_info(key, scopes=wanted)
    return build(
        api,
        version,
        credentials=credentials.with_subject(subject),
        client_options={"api_endpoint": server.base_url},
        static_discovery=True,
        cache_discovery=False,
    )
