"""The checks of Google's side, each from a probe of :mod:`workspace.preflight`.

Order matters: a token per scope first (one request per scope, so the one missing from the
domain-wide delegation is named), then what those tokens allow — the subject, the domain, the
org units, the schema, the senders — skipped, not failed again, when the token they need was
refused. Each probe asks only for the scope its call needs, so a missing scope fails its own
check and no other (misena itself asks for all of them at once: without any one, it gets none).
The clock is compared with the ``Date`` Google answers with: a machine more than a minute off
is a failure here, before Google starts refusing its JWT assertions (about five).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from google.auth.exceptions import GoogleAuthError

from app.doctor.report import Area, Status, Verdict, google_failed, skipped
from app.doctor.schema_check import check_schema
from app.settings import Settings
from app.texts import Text
from workspace.errors import NotAuthorized, WorkspaceError
from workspace.google_session import DIRECTORY_SCOPES, GMAIL_SEND_SCOPES, SCOPE
from workspace.preflight import Preflight, TokenRefusedError

USER_SCOPE, ORG_UNIT_SCOPE = DIRECTORY_SCOPES[0], DIRECTORY_SCOPES[1]
MAX_SKEW_SECONDS = 60.0
#: Where the Admin console lists the scopes each client id is delegated.
DELEGATION_PAGE = (
    "Admin console > Security > Access and data control > API controls > Manage Domain Wide Delegation"
)


def _short(scope: str) -> str:
    return scope.removeprefix(SCOPE)


class GoogleChecks:
    """One run of the Google checks for ``settings``, remembering which tokens Google gave."""

    def __init__(self, settings: Settings, preflight: Preflight, clock: Callable[[], datetime]) -> None:
        self._settings = settings
        self._preflight = preflight
        self._clock = clock
        self._granted: set[str] = set()
        self._client = preflight.client_id() or "?"

    def run(self) -> list[Verdict]:
        verdicts = [self._token(scope) for scope in DIRECTORY_SCOPES]
        verdicts.append(self._subject())
        verdicts.append(self._domain())
        verdicts += [self._org_unit(path) for path in org_unit_roots(self._settings)]
        verdicts.append(
            check_schema(
                self._preflight,
                self._settings.google_admin,
                self._settings.policy.custom_schema,
                self._client,
            )
        )
        verdicts += [self._sender(sender) for sender in self._settings.mail_senders]
        verdicts.append(self._clock_skew())
        return verdicts

    def _refusal_hint(self, refusal: TokenRefusedError, subject: str, scope: str, setting: str) -> Text:
        if refusal.error == "unauthorized_client":
            return Text(
                "In the Admin console > Security > Access and data control > API controls > Manage "
                "Domain Wide Delegation, edit client ID {client} and add the scope {scope}.",
                client=self._client,
                scope=scope,
            )
        if refusal.error == "invalid_grant" and "user id" in refusal.description.lower():
            return Text(
                "{subject} is not an active user of this Google Workspace: correct {setting}, or "
                "create or reactivate that user in the Admin console > Directory > Users.",
                subject=subject,
                setting=setting,
            )
        return Text(
            "Check the service account's key (MISENA_GOOGLE_KEY_FILE) and that its project is active."
        )

    def _refused(self, name: str, subject: str, scope: str, setting: str) -> Verdict | None:
        """Ask for a token for ``subject`` with ``scope``: the failure naming what to fix, or ``None``."""
        try:
            self._preflight.token(subject, scope)
        except TokenRefusedError as refusal:
            message = Text(
                "Google refused a token for {subject} with {scope}: {error} ({description}).",
                subject=subject,
                scope=_short(scope),
                error=refusal.error,
                description=refusal.description,
            )
            hint = self._refusal_hint(refusal, subject, scope, setting)
            return Verdict(name, Area.GOOGLE, Status.FAIL, message, hint)
        return None

    def _token(self, scope: str) -> Verdict:
        name = "token:" + _short(scope)
        admin = self._settings.google_admin
        refused = self._refused(name, admin, scope, "MISENA_GOOGLE_ADMIN")
        if refused is not None:
            return refused
        self._granted.add(scope)
        return Verdict(name, Area.GOOGLE, Status.OK, Text("Token granted for {subject}.", subject=admin))

    def _subject(self) -> Verdict:
        name, admin = "subject", self._settings.google_admin
        if USER_SCOPE not in self._granted:
            return skipped(name, Area.GOOGLE, "token:" + _short(USER_SCOPE))
        try:
            user = self._preflight.admin_user((USER_SCOPE,))
        except NotAuthorized as exc:
            return Verdict(
                name,
                Area.GOOGLE,
                Status.FAIL,
                Text("Google does not let {subject} manage users: {error}", subject=admin, error=exc.message),
                Text(
                    "Make {subject} a super admin, or give it an admin role with User management "
                    "(Admin console > Account > Admin roles), or set MISENA_GOOGLE_ADMIN to such an admin.",
                    subject=admin,
                ),
            )
        except WorkspaceError as exc:
            return google_failed(name, exc)
        role = Text("super admin") if user.get("isAdmin") else Text("delegated admin")
        return Verdict(
            name, Area.GOOGLE, Status.OK, Text("{subject} manages users ({role}).", subject=admin, role=role)
        )

    def _domain(self) -> Verdict:
        name, domain = "domain", self._settings.policy.domain
        if USER_SCOPE not in self._granted:
            return skipped(name, Area.GOOGLE, "token:" + _short(USER_SCOPE))
        try:
            self._preflight.list_domain((USER_SCOPE,), domain)
        except WorkspaceError as exc:
            return Verdict(
                name,
                Area.GOOGLE,
                Status.FAIL,
                Text(
                    "Google refused to list the users of {domain}: {error}", domain=domain, error=exc.message
                ),
                Text(
                    "MISENA_POLICY__DOMAIN must be a domain of this Google Workspace "
                    "(Admin console > Account > Domains > Manage domains)."
                ),
            )
        return Verdict(name, Area.GOOGLE, Status.OK, Text("{domain} belongs to this tenant.", domain=domain))

    def _org_unit(self, path: str) -> Verdict:
        name = "org_unit:" + path
        if ORG_UNIT_SCOPE not in self._granted:
            return skipped(name, Area.GOOGLE, "token:" + _short(ORG_UNIT_SCOPE))
        try:
            exists = self._preflight.org_unit_exists((ORG_UNIT_SCOPE,), path)
        except WorkspaceError as exc:
            return google_failed(name, exc)
        if exists:
            return Verdict(name, Area.GOOGLE, Status.OK, Text("The org unit exists."))
        return Verdict(
            name,
            Area.GOOGLE,
            Status.WARN,
            Text(
                "The org unit {path} does not exist; misena will create it with the first account "
                "placed there.",
                path=path,
            ),
            Text(
                "Create {path} in the Admin console > Directory > Organizational units first, to give "
                "it its policies (services, sharing) before accounts land in it.",
                path=path,
            ),
        )

    def _sender(self, sender: str) -> Verdict:
        name = "sender:" + sender
        if USER_SCOPE in self._granted:
            found = self._sender_account(name, sender)
            if found is not None:
                return found
        refused = self._refused(name, sender, GMAIL_SEND_SCOPES[0], "MISENA_MAIL_SENDERS")
        if refused is not None:
            return refused
        try:
            self._preflight.can_send(sender, GMAIL_SEND_SCOPES)
        except WorkspaceError as exc:
            return Verdict(
                name,
                Area.GOOGLE,
                Status.FAIL,
                Text("Gmail does not let {sender} send: {error}", sender=sender, error=exc.message),
                Text(
                    "Give {sender} a Google Workspace licence with Gmail, and turn Gmail on for its "
                    "org unit (Admin console > Apps > Google Workspace > Gmail).",
                    sender=sender,
                ),
            )
        return Verdict(name, Area.GOOGLE, Status.OK, Text("The mailbox exists, is active and can send."))

    def _sender_account(self, name: str, sender: str) -> Verdict | None:
        """The sender's account as the Directory shows it: a failure to tell, else ``None``."""
        try:
            user = self._preflight.user((USER_SCOPE,), sender)
        except WorkspaceError as exc:
            return google_failed(name, exc)
        if user is None:
            return Verdict(
                name,
                Area.GOOGLE,
                Status.FAIL,
                Text("The sender mailbox {sender} does not exist.", sender=sender),
                Text(
                    "Create the user {sender} with a Gmail licence, or take it out of MISENA_MAIL_SENDERS.",
                    sender=sender,
                ),
            )
        if user.get("suspended"):
            return Verdict(
                name,
                Area.GOOGLE,
                Status.FAIL,
                Text("The sender mailbox {sender} is suspended.", sender=sender),
                Text(
                    "Reactivate {sender} in the Admin console > Directory > Users, or take it out of "
                    "MISENA_MAIL_SENDERS.",
                    sender=sender,
                ),
            )
        return None

    def _clock_skew(self) -> Verdict:
        name = "clock"
        try:
            google_now = self._preflight.server_date()
        except WorkspaceError as exc:
            return Verdict(
                name,
                Area.SETTINGS,
                Status.FAIL,
                Text("Could not read Google's time: {error}", error=exc.message),
                Text("Check that this machine reaches Google (or MISENA_GOOGLE_API_ENDPOINT)."),
            )
        skew = (self._clock() - google_now).total_seconds()
        seconds = f"{skew:+.0f}"
        if abs(skew) > MAX_SKEW_SECONDS:
            return Verdict(
                name,
                Area.SETTINGS,
                Status.FAIL,
                Text("This machine's clock is {seconds} s off Google's.", seconds=seconds),
                Text(
                    "Synchronise the clock with NTP (timedatectl set-ntp true, or chrony): Google "
                    "refuses token requests from a clock about 5 minutes off."
                ),
            )
        return Verdict(
            name, Area.SETTINGS, Status.OK, Text("{seconds} s off Google's clock.", seconds=seconds)
        )


def org_unit_roots(settings: Settings) -> list[str]:
    """The fixed part of each org unit template (``/Aprendices`` of ``/Aprendices/{regional}``):
    what must exist before any regional's unit can go under it. Root ``/`` always exists."""
    policy = settings.policy
    roots: list[str] = []
    for template in (policy.apprentice_org_unit, policy.instructor_org_unit, policy.graduate_org_unit):
        fixed = template.split("{", 1)[0]
        root = fixed.rstrip("/") if "{" not in template else fixed.rsplit("/", 1)[0]
        if root and root != "/" and root not in roots:
            roots.append(root)
    return roots


def credentials_problem(preflight: Preflight, admin: str) -> Verdict | None:
    """A key that cannot even be read or used: every Google check is skipped behind it."""
    try:
        preflight.client_id()
        preflight.credentials_for(admin)
    except (OSError, ValueError, KeyError, RuntimeError, GoogleAuthError) as exc:
        return Verdict(
            "credentials",
            Area.GOOGLE,
            Status.FAIL,
            Text("The service account's credentials cannot be used: {error}", error=type(exc).__name__),
            Text(
                "Set MISENA_GOOGLE_KEY_FILE to the JSON key of the service account with domain-wide "
                "delegation (Google Cloud console > IAM > Service accounts > Keys)."
            ),
        )
    return None
