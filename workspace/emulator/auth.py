"""OAuth as Google runs it for a service account with domain-wide delegation.

The emulator mints service-account keys it trusts, verifies the RS256 JWT assertion that
google-auth signs (signature, issuer, audience, expiry), checks that the subject exists and the
requested scopes were delegated, and hands out bearer tokens remembered with their subject and
scopes — so a request whose token lacks a method's scope fails as it would at Google.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import exceptions as auth_exceptions
from google.auth import jwt

from workspace.emulator.errors import GoogleApiError
from workspace.emulator.state import EmulatorState, ServiceAccount, TokenGrant

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL
TOKEN_LIFETIME_SECONDS = 3600
SCOPE_PREFIX = "https://www.googleapis.com/auth/"

#: What an emulator key is delegated by default: misena's scopes plus read access to the
#: senders' mail, which tests use to read back what was sent.
DEFAULT_DELEGATED_SCOPES = frozenset(
    SCOPE_PREFIX + s
    for s in (
        "admin.directory.user",
        "admin.directory.user.readonly",
        "admin.directory.orgunit",
        "admin.directory.orgunit.readonly",
        "admin.directory.group",
        "admin.directory.group.member",
        "admin.directory.group.readonly",
        "admin.directory.userschema",
        "gmail.send",
        "gmail.readonly",
    )
)


class OAuthError(Exception):
    """A token-endpoint refusal, answered in OAuth's own shape, not Google's API envelope."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass(frozen=True)
class IssuedKey:
    key_file: dict[str, Any]


def create_service_account(
    state: EmulatorState,
    token_uri: str,
    *,
    name: str = "misena",
    delegated_scopes: frozenset[str] = DEFAULT_DELEGATED_SCOPES,
) -> IssuedKey:
    """A fresh RSA key, registered as trusted, in the JSON layout Google's console downloads."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    key_id = secrets.token_hex(20)
    client_id = state.next_id(21)
    client_email = f"{name}@misena-emulator.iam.gserviceaccount.com"
    state.service_accounts[key_id] = ServiceAccount(
        client_email=client_email,
        client_id=client_id,
        key_id=key_id,
        public_key_pem=public_pem,
        delegated_scopes=delegated_scopes,
    )
    return IssuedKey(
        key_file={
            "type": "service_account",
            "project_id": "misena-emulator",
            "private_key_id": key_id,
            "private_key": private_pem,
            "client_email": client_email,
            "client_id": client_id,
            "auth_uri": token_uri.rsplit("/", 1)[0] + "/auth",
            "token_uri": token_uri,
            "auth_provider_x509_cert_url": token_uri.rsplit("/", 1)[0] + "/certs",
            "universe_domain": "googleapis.com",
        }
    )


def grant_token(state: EmulatorState, form: dict[str, str]) -> dict[str, Any]:
    if form.get("grant_type") != JWT_BEARER:
        raise OAuthError(400, "unsupported_grant_type", "Invalid grant_type: " + form.get("grant_type", ""))
    claims = _verified_claims(state, form.get("assertion", ""))
    account = state.service_accounts[claims["kid"]]
    scopes = frozenset(str(claims.get("scope", "")).split())
    if not scopes:
        raise OAuthError(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
    subject = str(claims.get("sub") or account.client_email).lower()
    if "sub" in claims:
        _check_delegation(state, account, subject, scopes)
    token = "ya29.emu-" + secrets.token_urlsafe(32)
    state.tokens[token] = TokenGrant(
        subject=subject,
        scopes=scopes,
        client_email=account.client_email,
        expires_at=state.now() + TOKEN_LIFETIME_SECONDS,
    )
    return {"access_token": token, "expires_in": TOKEN_LIFETIME_SECONDS, "token_type": "Bearer"}


def _verified_claims(state: EmulatorState, assertion: str) -> dict[str, Any]:
    try:
        unverified = jwt.decode(assertion, verify=False)  # type: ignore[no-untyped-call]
        header = jwt.decode_header(assertion)  # type: ignore[no-untyped-call]
    except (ValueError, auth_exceptions.GoogleAuthError) as exc:
        raise OAuthError(400, "invalid_grant", "Invalid JWT: malformed assertion") from exc
    account = state.service_accounts.get(str(header.get("kid", "")))
    if account is None or unverified.get("iss") != account.client_email:
        raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.")
    try:
        claims: dict[str, Any] = jwt.decode(  # type: ignore[no-untyped-call]
            assertion,
            certs={account.key_id: account.public_key_pem},
            audience=GOOGLE_TOKEN_AUDIENCE,
            clock_skew_in_seconds=300,
        )
    except (ValueError, auth_exceptions.GoogleAuthError) as exc:
        message = str(exc)
        if "audience" in message.lower():
            raise OAuthError(400, "invalid_grant", "Invalid JWT: Failed audience check.") from exc
        if "expired" in message.lower() or "too early" in message.lower():
            raise OAuthError(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token.") from exc
        raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.") from exc
    claims["kid"] = account.key_id
    return claims


def _check_delegation(
    state: EmulatorState, account: ServiceAccount, subject: str, scopes: frozenset[str]
) -> None:
    user_id = state.user_addresses.get(subject)
    if user_id is None or state.users[user_id].resource.get("suspended"):
        raise OAuthError(400, "invalid_grant", "Invalid email or User ID")
    if not scopes <= account.delegated_scopes:
        raise OAuthError(
            401,
            "unauthorized_client",
            "Client is unauthorized to retrieve access tokens using this method, "
            "or client not authorized for any of the scopes requested.",
        )


def authorize(state: EmulatorState, authorization: str | None, needed: frozenset[str]) -> TokenGrant:
    """Resolve the bearer token of an API call and check it carries one of the method's scopes."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        # Google tells "no credential at all" (reason ``required``) from a bad one (``authError``).
        raise GoogleApiError(
            401,
            "required",
            "Request is missing required authentication credential. Expected OAuth 2 access "
            "token, login cookie or other valid authentication credential.",
            location="Authorization",
            location_type="header",
        )
    grant = state.tokens.get(token.strip())
    if grant is None or grant.expires_at < state.now():
        raise GoogleApiError(
            401,
            "authError",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, "
            "login cookie or other valid authentication credential.",
            location="Authorization",
            location_type="header",
        )
    if needed and not (grant.scopes & needed):
        raise GoogleApiError(
            403, "insufficientPermissions", "Request had insufficient authentication scopes."
        )
    return grant
