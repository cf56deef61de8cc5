"""The console's settings (``MISENA_CONSOLE_*``): the session secret, Google sign-in, who may
sign in and with which scopes.

Scopes are the API's (:class:`app.staff.tokens.Scope`): a role gives its scopes to every email
it lists and to every member of its Directory group, and a person signed in with Google holds
the union of the roles they match. Nobody matches no role: they are refused.
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.staff.tokens import Scope


class ConsoleRole(BaseModel):
    """Scopes for the emails listed and for the members of ``group`` (a Google group address)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scopes: list[Scope] = Field(min_length=1)
    emails: list[str] = Field(default_factory=list)
    group: str | None = None

    @field_validator("emails")
    @classmethod
    def _lower(cls, emails: list[str]) -> list[str]:
        return [email.strip().lower() for email in emails if email.strip()]


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MISENA_CONSOLE_", extra="ignore")

    #: Signs the session cookie. Unset: a random one per process (sessions end at restart).
    session_secret: SecretStr | None = Field(default=None, min_length=32)
    session_hours: float = Field(default=8.0, gt=0, le=24)
    #: Where staff reach the service (``https://misena.sena.edu.co``): the redirect URI Google
    #: is given is ``<public_url>/console/auth/google/callback``; ``https`` makes the cookie Secure.
    public_url: str | None = None
    #: Google's OpenID Connect issuer; the emulator's base URL in tests and the demo.
    google_issuer: str = "https://accounts.google.com"
    google_client_id: str | None = None
    google_client_secret: SecretStr | None = None
    #: The Workspace domain staff sign in from: the ID token's ``hd`` claim must equal it.
    google_domain: str | None = None
    #: JSON: ``[{"scopes": ["accounts:read"], "group": "mesa-de-ayuda@sena.edu.co"}, ...]``
    roles: list[ConsoleRole] = Field(default_factory=list)

    @model_validator(mode="after")
    def _google_whole(self) -> Self:
        """Google sign-in is configured whole or not at all: half a configuration is a mistake
        to refuse at start-up, not a sign-in button that fails for everyone."""
        given = {
            "MISENA_CONSOLE_GOOGLE_CLIENT_ID": self.google_client_id,
            "MISENA_CONSOLE_GOOGLE_CLIENT_SECRET": self.google_client_secret,
            "MISENA_CONSOLE_GOOGLE_DOMAIN": self.google_domain,
        }
        missing = [name for name, value in given.items() if not value]
        if missing and len(missing) < len(given):
            raise ValueError(f"Google sign-in needs {', '.join(missing)} as well")
        if not missing and not self.roles:
            raise ValueError("Google sign-in needs MISENA_CONSOLE_ROLES: nobody could sign in")
        return self

    @property
    def google_enabled(self) -> bool:
        return bool(self.google_client_id and self.google_client_secret and self.google_domain)

    @property
    def secure_cookie(self) -> bool:
        return bool(self.public_url and self.public_url.startswith("https://"))
