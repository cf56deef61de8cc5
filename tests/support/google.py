"""The test tenant's names and Google's own client pointed at the emulator.

Outside ``conftest.py`` so that helpers and tests import them as a module, not as a conftest.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from google.oauth2 import service_account
from googleapiclient.discovery import build
from pydantic import SecretStr

from app.i18n import translations
from workspace.credential_email import CredentialEmail, render_credential_email
from workspace.emulator.server import EmulatorServer
from workspace.models import ExternalId, NewUser, Phone, UserName

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


SOFIA_SCHEMA = {
    "schemaName": "SofiaPlus",
    "displayName": "Sofia Plus",
    "fields": [
        {"fieldName": "documentType", "fieldType": "STRING"},
        {"fieldName": "documentNumber", "fieldType": "STRING"},
        {"fieldName": "ficha", "fieldType": "STRING", "multiValued": True},
    ],
}


def new_user(document: str = "1098765432", **overrides: object) -> NewUser:
    fields: dict[str, object] = {
        "primary_email": f"{document}@misena.edu.co",
        "name": UserName(given_name="María José", family_name="Peña de la Torre"),
        "password": SecretStr("Temporal-2026-xyz"),
        "org_unit_path": "/Aprendices/Distrito Capital",
        "recovery_email": "majo.pena@example.com",
        "recovery_phone": "+573001234567",
        "external_ids": [ExternalId(value=f"TI-{document}", type="organization")],
        "phones": [Phone(value="+573001234567", type="mobile")],
        "custom_schemas": {"SofiaPlus": {"documentType": "TI", "documentNumber": document}},
    }
    fields.update(overrides)
    return NewUser.model_validate(fields)


SENDER = "notificaciones@misena.edu.co"


PASSWORD = "Kp7-wXq2-Rt9m"


def credentials_message() -> EmailMessage:
    return render_credential_email(
        CredentialEmail(
            recipient_email="majo.pena@example.com",
            recipient_name="María José",
            username="1098765432@misena.edu.co",
            temporary_password=PASSWORD,
        ),
        sender=SENDER,
        translations=translations("es"),
    )
