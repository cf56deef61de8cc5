"""Sign in with Google (OpenID Connect) for the console, with Authlib's Starlette client.

Authlib keeps the ``state``, ``nonce`` and PKCE verifier (S256) in the session between the
redirect and the callback, exchanges the code and verifies the ID token against the issuer's
JWKS (signature, ``iss``, ``aud``, expiry, ``nonce``). Then this module decides who may come
in: the token's ``hd`` must be the configured Workspace domain (a personal Google account has
none), the email verified, and the person listed by a role or a member of its group (asked
of the Directory); they hold the union of the scopes of the roles they match.
"""

from __future__ import annotations

from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.console.rendering import BASE, _, flash, render
from app.console.settings import ConsoleSettings
from app.console.signin_pages import safe_next
from app.console.staff import Staff, sign_in
from app.console.web import services_of
from app.logging_setup import get_logger
from app.runtime.services import Services
from app.staff.tokens import Scope
from workspace.errors import WorkspaceError

log = get_logger(__name__)
router = APIRouter()
NEXT_KEY = "console_next"
CALLBACK = "/auth/google/callback"


def google_client(settings: ConsoleSettings) -> OAuth:
    oauth = OAuth()
    if settings.google_enabled:
        secret = settings.google_client_secret
        oauth.register(
            "google",
            client_id=settings.google_client_id,
            client_secret=secret.get_secret_value() if secret else None,
            server_metadata_url=settings.google_issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
        )
    return oauth


def _settings(request: Request) -> ConsoleSettings:
    settings: ConsoleSettings = request.app.state.console_settings
    return settings


def _refused(request: Request, message: str, status: int = 403) -> Response:
    return render(request, "sign_in.html.j2", None, status_code=status, google=True, error=message,
                  next=f"{BASE}/")  # fmt: skip


@router.get("/auth/google")
async def start(request: Request) -> Response:
    settings = _settings(request)
    if not settings.google_enabled:
        return _refused(request, _("Google sign-in is not configured."), 404)
    request.session[NEXT_KEY] = safe_next(request.query_params.get("next"))
    # The mounted console's request.base_url leaves out /console: the origin, then the path.
    origin = settings.public_url or f"{request.url.scheme}://{request.url.netloc}"
    client = request.app.state.oauth.create_client("google")
    redirect: Response = await client.authorize_redirect(request, origin.rstrip("/") + BASE + CALLBACK)
    return redirect


@router.get(CALLBACK)
async def callback(request: Request) -> Response:
    settings = _settings(request)
    if not settings.google_enabled:
        return _refused(request, _("Google sign-in is not configured."), 404)
    client = request.app.state.oauth.create_client("google")
    try:
        token = await client.authorize_access_token(request)
    except OAuthError as exc:
        log.info("console_google_refused", reason=exc.error)
        return _refused(request, _("Google sign-in failed; try again."), 401)
    claims = token.get("userinfo") or {}
    email = str(claims.get("email") or "").lower()
    problem = claims_problem(settings, claims)
    if problem is not None:
        return _refused(request, problem)
    try:
        scopes = await run_in_threadpool(scopes_of, services_of(request), settings, email)
    except WorkspaceError:
        return _refused(request, _("The staff group could not be checked in Google now; try again."), 503)
    if not scopes:
        log.info("console_google_refused", reason="not_staff")
        message = _("%(email)s is not on the console's staff list nor in its groups.") % {"email": email}
        return _refused(request, message)
    target = safe_next(request.session.get(NEXT_KEY))
    sign_in(request, Staff(email, f"google:{email}", scopes, "google"), services_of(request).clock())
    flash(request, "ok", _("Signed in as %(email)s.") % {"email": email})
    log.info("console_signed_in", via="google", scopes=sorted(scopes))
    return RedirectResponse(target, status_code=303)


def claims_problem(settings: ConsoleSettings, claims: dict[str, object]) -> str | None:
    """Why a verified ID token still may not sign in here (Spanish), or ``None``."""
    if not settings.google_domain or claims.get("hd") != settings.google_domain:
        log.info("console_google_refused", reason="domain")
        return _("Only accounts of %(domain)s may sign in here.") % {"domain": settings.google_domain}
    if claims.get("email_verified") is not True:
        log.info("console_google_refused", reason="email_not_verified")
        return _("Google has not verified this account's email.")
    return None


def scopes_of(services: Services, settings: ConsoleSettings, email: str) -> frozenset[Scope]:
    """The union of the scopes of every role that lists ``email`` or whose group holds it."""
    scopes: set[Scope] = set()
    for role in settings.roles:
        if email in role.emails or (role.group and services.directory.is_member(role.group, email)):
            scopes.update(role.scopes)
    return frozenset(scopes)
