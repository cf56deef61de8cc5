"""The email that hands an apprentice their new Mi SENA credentials, in Spanish.

Built with the standard library's modern email API (``EmailMessage`` and
``email.policy``) so that names with accents and "ñ" are RFC 2047-encoded, bodies are
UTF-8 with a safe transfer encoding and lines stay within RFC 5322's limit, all without
hand-written header code. The layout lives in Jinja2 templates next to this module and the
words in the service's message catalogue: the templates say them in English through
``jinja2.ext.i18n`` (``{% trans %}``, ``_()``), and the caller hands in the translations to
render them with (app's Spanish catalogue; this package never imports app). The HTML template
is autoescaped because names come from Sofia Plus, not from us.
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import cache
from gettext import NullTranslations
from typing import Any, cast

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

__all__ = [
    "CredentialEmail",
    "HelpChannels",
    "render_credential_email",
    "to_gmail_raw",
]

_SUBJECT_TEMPLATE = "credential_email.subject.j2"
_TEXT_TEMPLATE = "credential_email.txt.j2"
_HTML_TEMPLATE = "credential_email.html.j2"


@dataclass(frozen=True)
class HelpChannels:
    """Where an apprentice who is stuck can get a person."""

    national_line: str = "018000 910270"
    bogota_line: str = "(57 1) 3430111"
    email: str = "contactenos@misena.edu.co"


@dataclass(frozen=True)
class CredentialEmail:
    """Everything the email says; ``recipient_name`` is used as given (already title-cased)."""

    recipient_email: str
    recipient_name: str
    username: str
    temporary_password: str = field(repr=False)
    sign_in_url: str = "https://mail.google.com/a/misena.edu.co"
    help: HelpChannels = field(default_factory=HelpChannels)
    #: A follow-up to someone who has not signed in yet: the same details, a fresh password,
    #: and a subject and opening that say so (the earlier password no longer works).
    reminder: bool = False


def render_credential_email(
    data: CredentialEmail,
    *,
    sender: str,
    translations: NullTranslations,
    sender_name: str = "Mi SENA",
    now: datetime | None = None,
) -> EmailMessage:
    """Build the multipart/alternative message, ready for :func:`to_gmail_raw`, in the
    language of ``translations`` (a gettext catalogue: its ``Language`` header names it).

    ``now`` exists for reproducible tests; production leaves it to the current time.
    """
    language = translations.info().get("language", "en")
    subject = _render(_SUBJECT_TEMPLATE, {"reminder": data.reminder}, translations)
    sender_address = Address(display_name=sender_name, addr_spec=sender)
    message = EmailMessage(policy=policy.SMTP)  # CRLF line ends, as RFC 5322 wants on the wire
    message["Subject"] = subject
    message["From"] = sender_address
    message["To"] = Address(display_name=_display_name(data.recipient_name), addr_spec=data.recipient_email)
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=sender_address.domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: keeps out-of-office replies away
    context = {**_context(data), "subject": subject, "language": language}
    message.set_content(_render(_TEXT_TEMPLATE, context, translations), subtype="plain", charset="utf-8")
    message.add_alternative(_render(_HTML_TEMPLATE, context, translations), subtype="html", charset="utf-8")
    message["Content-Language"] = language  # after the bodies: set_content drops Content-* headers
    return message


def to_gmail_raw(message: EmailMessage) -> str:
    """The ``raw`` field of Gmail's ``users.messages.send``: base64url of the RFC 5322 bytes."""
    return base64.urlsafe_b64encode(message.as_bytes(policy=policy.SMTP)).decode("ascii")


def _context(data: CredentialEmail) -> dict[str, Any]:
    context = asdict(data)
    context["recipient_name"] = _display_name(data.recipient_name)
    return context


def _display_name(name: str) -> str:
    """Collapse whitespace runs: a header would collapse them anyway, and the greeting should
    read the same as the To line (names copied from Sofia Plus often carry double spaces)."""
    return " ".join(name.split())


def _render(template_name: str, context: dict[str, Any], translations: NullTranslations) -> str:
    return _environment(translations).get_template(template_name).render(context)


@cache
def _environment(translations: NullTranslations) -> Environment:
    """One environment per catalogue (a process has one or two): Jinja2 caches compiled
    templates on it, and its gettext is installed once, never swapped under another thread.
    ``auto_reload`` off: the templates ship with the package and never change under a running
    worker, and checking would be a ``stat`` of each template file per email (profiled: 1-2 %
    of a worker's CPU at 9 accounts a second)."""
    environment = Environment(
        loader=PackageLoader("workspace", "templates"),
        auto_reload=False,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    # jinja2.ext.i18n adds this method to the environment when it loads, hence the cast.
    cast(Any, environment).install_gettext_translations(translations, newstyle=False)
    return environment
