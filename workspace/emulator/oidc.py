"""Sign in with Google, as the emulator runs it: an OpenID Connect provider for the tenant's users.

What a relying party (the help-desk console) meets at Google: discovery
(``/.well-known/openid-configuration``), an authorization endpoint that shows a sign-in form
(email and password, checked as the Directory stores them), a token endpoint that trades the
code for an RS256-signed ID token (``iss``, ``aud``, ``sub``, ``email``, ``email_verified``,
``hd`` — the Workspace domain — and the request's ``nonce``), and the JWKS to verify it. PKCE
(S256) is enforced when the request carried a challenge; codes are single-use and short-lived.
Clients (id, secret, optional redirect URIs) are registered through the control plane, and so
are personal Google accounts (outside the Workspace tenant: their ID tokens carry no ``hd``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from workspace.emulator import directory_users as users
from workspace.emulator.control_plane import PREFIX
from workspace.emulator.state import EmulatorState

AUTHORIZE_PATH = "/o/oauth2/v2/auth"
TOKEN_PATH = "/oauth2/v4/token"  # noqa: S105 - a path
CERTS_PATH = "/oauth2/v3/certs"
CODE_SECONDS = 300
ID_TOKEN_SECONDS = 3600
#: The parameters of an authorization request the form carries through the sign-in.
CARRIED = ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
           "code_challenge", "code_challenge_method")  # fmt: skip


class OidcClient(BaseModel):
    client_id: str = Field(min_length=1, max_length=200)
    client_secret: str = Field(min_length=8, max_length=200)
    redirect_uris: list[str] = Field(default_factory=list, description="Empty: any")


class PersonalAccount(BaseModel):
    """A consumer Google account (``@gmail.com``): it signs in, but belongs to no Workspace."""

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=8, max_length=100)


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    user_id: str
    nonce: str | None
    challenge: str | None
    expires_at: float


@dataclass
class OidcProvider:
    key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    key_id: str = field(default_factory=lambda: secrets.token_hex(8))
    clients: dict[str, OidcClient] = field(default_factory=dict)
    codes: dict[str, _Code] = field(default_factory=dict)
    #: lower-cased address -> the personal account (its user id is ``personal:<address>``)
    personal: dict[str, PersonalAccount] = field(default_factory=dict)

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        return {"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.key_id,
                          "n": _b64(numbers.n), "e": _b64(numbers.e)}]}  # fmt: skip

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS (RS256), as Google signs its ID tokens."""
        header = {"alg": "RS256", "kid": self.key_id, "typ": "JWT"}
        signing_input = f"{_b64_json(header)}.{_b64_json(claims)}".encode("ascii")
        signature = self.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input.decode('ascii')}.{_b64_bytes(signature)}"


def _b64_bytes(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64_json(value: dict[str, Any]) -> str:
    return _b64_bytes(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def _b64(number: int) -> str:
    return _b64_bytes(number.to_bytes((number.bit_length() + 7) // 8, "big"))


def _issuer(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def oidc_routes(app: FastAPI, state: EmulatorState) -> OidcProvider:
    provider = OidcProvider()

    @app.get("/.well-known/openid-configuration")
    def discovery(request: Request) -> dict[str, Any]:
        issuer = _issuer(request)
        return {
            "issuer": issuer,
            "authorization_endpoint": issuer + AUTHORIZE_PATH,
            "token_endpoint": issuer + TOKEN_PATH,
            "jwks_uri": issuer + CERTS_PATH,
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "claims_supported": ["aud", "email", "email_verified", "exp", "hd", "iat", "iss", "name", "sub"],
            "code_challenge_methods_supported": ["S256", "plain"],
        }

    @app.get(CERTS_PATH)
    def certs() -> dict[str, Any]:
        return provider.jwks()

    @app.post(f"{PREFIX}/oidc/clients", status_code=201)
    def register(client: OidcClient) -> dict[str, str]:
        provider.clients[client.client_id] = client
        return {"client_id": client.client_id}

    @app.post(f"{PREFIX}/oidc/personal-accounts", status_code=201)
    def add_personal(account: PersonalAccount) -> dict[str, str]:
        provider.personal[account.email.lower()] = account
        return {"email": account.email}

    @app.get(AUTHORIZE_PATH, response_class=HTMLResponse)
    def authorize(request: Request) -> Response:
        params = dict(request.query_params)
        refused = _check_request(provider, params)
        if refused is not None:
            return refused
        return HTMLResponse(_form(params, error=None))

    @app.post(AUTHORIZE_PATH, response_class=HTMLResponse)
    async def sign_in(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        params = {name: form[name] for name in CARRIED if name in form}
        refused = _check_request(provider, params)
        if refused is not None:
            return refused
        address, password = form.get("email", "").strip().lower(), form.get("password", "")
        with state.lock:
            user_id = state.lookup_user_id(address)
            valid = user_id is not None and users.check_password(state, address, password)
            suspended = valid and bool(state.users[str(user_id)].resource.get("suspended"))
        personal = provider.personal.get(address)
        if user_id is None and personal is not None and hmac.compare_digest(personal.password, password):
            user_id, valid = f"personal:{address}", True
        if not valid or suspended or user_id is None:
            message = "Esta cuenta está suspendida." if suspended else "Correo o contraseña incorrectos."
            return HTMLResponse(_form(params, error=message), status_code=401)
        code = secrets.token_urlsafe(24)
        provider.codes[code] = _Code(
            params["client_id"], params["redirect_uri"], user_id, params.get("nonce"),
            _challenge(params), time.time() + CODE_SECONDS,
        )  # fmt: skip
        answer = {"code": code, **({"state": params["state"]} if params.get("state") else {})}
        return RedirectResponse(f"{params['redirect_uri']}?{urlencode(answer)}", status_code=302)

    @app.post(TOKEN_PATH)
    async def token(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        client = _client_of(provider, request, form)
        if client is None:
            return _oauth_error("invalid_client", "Unknown client or wrong secret.", 401)
        if form.get("grant_type") != "authorization_code":
            return _oauth_error("unsupported_grant_type", "Only authorization_code.")
        grant = provider.codes.pop(form.get("code", ""), None)
        if grant is None or grant.expires_at < time.time() or grant.client_id != client.client_id:
            return _oauth_error("invalid_grant", "Malformed auth code.")
        if form.get("redirect_uri") != grant.redirect_uri:
            return _oauth_error("redirect_uri_mismatch", "The redirect_uri differs from the request's.")
        if grant.challenge is not None and not _verifier_matches(grant.challenge, form.get("code_verifier")):
            return _oauth_error("invalid_grant", "Missing code verifier." if not form.get("code_verifier")
                                else "Invalid code verifier.")  # fmt: skip
        if grant.user_id.startswith("personal:"):
            resource: dict[str, Any] = {"primaryEmail": grant.user_id.removeprefix("personal:")}
        else:
            with state.lock:
                resource = dict(state.users[grant.user_id].resource)
        return JSONResponse(_tokens(provider, _issuer(request), client, grant, resource))

    return provider


def _check_request(provider: OidcProvider, params: dict[str, str]) -> Response | None:
    client = provider.clients.get(params.get("client_id", ""))
    if client is None:
        return HTMLResponse("<h1>Error 401: invalid_client</h1>", status_code=401)
    redirect = params.get("redirect_uri", "")
    if not redirect or (client.redirect_uris and redirect not in client.redirect_uris):
        return HTMLResponse("<h1>Error 400: redirect_uri_mismatch</h1>", status_code=400)
    if params.get("response_type") != "code" or "openid" not in params.get("scope", "").split():
        return HTMLResponse("<h1>Error 400: invalid_request</h1>", status_code=400)
    if params.get("code_challenge_method", "S256") not in ("S256", "plain"):
        return HTMLResponse("<h1>Error 400: invalid_request</h1>", status_code=400)
    return None


def _challenge(params: dict[str, str]) -> str | None:
    challenge = params.get("code_challenge")
    if not challenge:
        return None
    return f"{params.get('code_challenge_method', 'plain')}:{challenge}"


def _verifier_matches(challenge: str, verifier: str | None) -> bool:
    if not verifier:
        return False
    method, _, expected = challenge.partition(":")
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        verifier = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return hmac.compare_digest(verifier, expected)


def _client_of(provider: OidcProvider, request: Request, form: dict[str, str]) -> OidcClient | None:
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("basic "):
        decoded = base64.b64decode(authorization[6:]).decode("utf-8", "replace")
        client_id, _, secret = decoded.partition(":")
    client = provider.clients.get(client_id)
    if client is None or not hmac.compare_digest(client.client_secret, secret):
        return None
    return client


def _tokens(
    provider: OidcProvider, issuer: str, client: OidcClient, grant: _Code, resource: dict[str, Any]
) -> dict[str, Any]:
    now = int(time.time())
    email = str(resource["primaryEmail"])
    name = resource.get("name") or {}
    claims = {
        "iss": issuer,
        "aud": client.client_id,
        "azp": client.client_id,
        "sub": grant.user_id,
        "email": email,
        "email_verified": True,
        "name": str(
            name.get("fullName") or f"{name.get('givenName', '')} {name.get('familyName', '')}"
        ).strip(),
        "iat": now,
        "exp": now + ID_TOKEN_SECONDS,
        **({"nonce": grant.nonce} if grant.nonce else {}),
        # the Workspace domain of the account; a personal account has none
        **({} if grant.user_id.startswith("personal:") else {"hd": email.rpartition("@")[2]}),
    }
    return {
        "access_token": secrets.token_urlsafe(32),
        "token_type": "Bearer",
        "expires_in": ID_TOKEN_SECONDS,
        "scope": "openid email profile",
        "id_token": provider.sign(claims),
    }


def _form(params: dict[str, str], *, error: str | None) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(params[name])}">'
        for name in CARRIED
        if name in params
    )
    alert = f'<p role="alert" style="color:#a00">{html.escape(error)}</p>' if error else ""
    style = (
        "body{font:16px system-ui,sans-serif;max-width:24rem;margin:4rem auto}"
        "label,input{display:block;width:100%}input{padding:.4rem;margin:.2rem 0 .8rem}"
    )
    return f"""<!doctype html><html lang="es"><head><meta charset="utf-8">
<title>Iniciar sesión - Google</title><style>{style}</style></head><body>
<h1>Google (emulador)</h1><p>Inicia sesión para continuar</p>{alert}
<form method="post">{hidden}
<label for="email">Correo electrónico</label>
<input id="email" name="email" type="email" autocomplete="username" required>
<label for="password">Contraseña</label>
<input id="password" name="password" type="password" required>
<button type="submit">Siguiente</button></form></body></html>"""
