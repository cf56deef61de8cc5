"""The credentials email, checked the way a mail client will see it: parsed back from bytes."""

from __future__ import annotations

import base64
import dataclasses
import email
import re
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from gettext import NullTranslations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.i18n import translations
from workspace.credential_email import (
    CredentialEmail,
    HelpChannels,
    render_credential_email,
    to_gmail_raw,
)

SENDER = "credenciales@misena.edu.co"
#: The words come from the service's catalogue, handed in by the caller (app does it so).
SPANISH = translations("es")
SUBJECT = "Tu cuenta Mi SENA está lista: credenciales de acceso"
PASSWORD = "Xk7#mQ2&<pW9"


def credential(name: str = "María José Peña", password: str = PASSWORD) -> CredentialEmail:
    return CredentialEmail(
        recipient_email="maria.pena@gmail.com",
        recipient_name=name,
        username="1023456789@misena.edu.co",
        temporary_password=password,
    )


def parsed(data: CredentialEmail | None = None, sender_name: str = "Mi SENA") -> EmailMessage:
    message = render_credential_email(
        data or credential(), sender=SENDER, translations=SPANISH, sender_name=sender_name
    )
    result = email.message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(result, EmailMessage)
    return result


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    assert part.get_content_type() == f"text/{subtype}"
    assert part.get_content_charset() == "utf-8"
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")  # the wire format is CRLF; compare in Python's terms


def test_subject_is_spanish_with_accents() -> None:
    assert parsed()["Subject"] == "Tu cuenta Mi SENA está lista: credenciales de acceso"
    assert parsed()["Subject"] == SUBJECT


def test_recipient_name_survives_rfc2047() -> None:
    message = parsed()
    [to] = message["To"].addresses
    assert to.display_name == "María José Peña"
    assert to.addr_spec == "maria.pena@gmail.com"
    raw_header = (
        render_credential_email(credential(), sender=SENDER, translations=SPANISH).as_bytes().split(b"\r\n")
    )
    to_line = next(line for line in raw_header if line.startswith(b"To:"))
    assert to_line.isascii()
    assert b"=?utf-8?" in to_line


def test_from_names_mi_sena_and_the_sender() -> None:
    [sender] = parsed()["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Mi SENA", SENDER)


def test_sender_name_can_be_changed() -> None:
    [sender] = parsed(sender_name="Soporte Mi SENA")["From"].addresses
    assert sender.display_name == "Soporte Mi SENA"


def test_date_and_message_id_headers() -> None:
    when = datetime(2025, 2, 3, 14, 30, tzinfo=UTC)
    message = render_credential_email(credential(), sender=SENDER, translations=SPANISH, now=when)
    back = email.message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsedate_to_datetime(back["Date"]) == when
    assert re.fullmatch(r"<[^@<>\s]+@misena\.edu\.co>", back["Message-ID"])


def test_message_ids_are_unique() -> None:
    ids = {parsed()["Message-ID"] for _ in range(20)}
    assert len(ids) == 20


def test_multipart_alternative_with_text_before_html() -> None:
    message = parsed()
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]  # clients prefer the last one they can show


@pytest.mark.parametrize("subtype", ["plain", "html"])
def test_both_parts_carry_the_credentials(subtype: str) -> None:
    content = body(parsed(), subtype)
    assert "1023456789@misena.edu.co" in content
    assert "https://mail.google.com/a/misena.edu.co" in content
    if subtype == "plain":
        assert PASSWORD in content
    else:
        assert "Xk7#mQ2&amp;&lt;pW9" in content  # escaped, so it displays as typed


@pytest.mark.parametrize("subtype", ["plain", "html"])
def test_both_parts_say_what_the_apprentice_must_know(subtype: str) -> None:
    content = body(parsed(), subtype)
    expected = [
        "María José Peña",
        "cuenta institucional Mi SENA",
        "Contraseña temporal",
        "cambiarla",  # change at first sign-in
        "primera vez",
        "número de celular",  # recovery phone
        "No compartas tu contraseña",
        "018000 910270",
        "(57 1) 3430111",
        "contactenos@misena.edu.co",
        "mensaje automático",
    ]
    for phrase in expected:
        assert phrase in content, phrase


def test_html_shows_the_password_in_a_monospace_block() -> None:
    html = body(parsed(credential(password="Plain9Pass")), "html")
    match = re.search(r"<code style=\"([^\"]*)\">Plain9Pass</code>", html)
    assert match is not None
    assert "monospace" in match.group(1)


def test_html_escapes_the_name() -> None:
    message = parsed(credential(name="<script>alert(1)</script>"))
    html = body(message, "html")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" in body(message, "plain")  # text is not HTML


def test_custom_help_channels_are_used() -> None:
    data = CredentialEmail(
        recipient_email="a@example.com",
        recipient_name="Ana",
        username="1@misena.edu.co",
        temporary_password="x",
        help=HelpChannels(national_line="01 8000 000", bogota_line="601 000", email="h@x.co"),
    )
    for subtype in ("plain", "html"):
        content = body(parsed(data), subtype)
        assert all(v in content for v in ("01 8000 000", "601 000", "h@x.co"))


def test_empty_name_still_greets() -> None:
    text = body(parsed(credential(name="")), "plain")
    assert text.startswith("Hola:")


def test_line_breaks_in_the_name_cannot_inject_headers() -> None:
    message = parsed(credential(name="Ana\r\nBcc: x@evil.test"))
    assert message["Bcc"] is None
    assert message["To"].addresses[0].display_name == "Ana Bcc: x@evil.test"


@pytest.mark.parametrize(
    ("recipient", "sender"),
    [("a@b.co\r\nBcc: x@evil.test", SENDER), ("a@b.co", SENDER + "\nBcc: x@evil.test")],
)
def test_line_breaks_in_addresses_are_refused(recipient: str, sender: str) -> None:
    data = CredentialEmail(recipient, "Ana", "1@misena.edu.co", "x")
    with pytest.raises(ValueError, match="CR or LF"):
        render_credential_email(data, sender=sender, translations=SPANISH)


def test_malformed_recipient_is_refused() -> None:
    data = CredentialEmail("not an address", "Ana", "1@misena.edu.co", "x")
    with pytest.raises(ValueError, match=r"."):
        render_credential_email(data, sender=SENDER, translations=SPANISH)


def test_greeting_collapses_whitespace_like_the_header() -> None:
    message = parsed(credential(name="María  José\tPeña"))
    assert body(message, "plain").startswith("Hola, María José Peña:")


def test_password_is_kept_out_of_repr() -> None:
    assert PASSWORD not in repr(credential())


def test_gmail_raw_is_base64url_of_the_message_bytes() -> None:
    message = render_credential_email(credential(), sender=SENDER, translations=SPANISH)
    raw = to_gmail_raw(message)
    assert re.fullmatch(r"[A-Za-z0-9_=-]+", raw)  # URL-safe alphabet: no '+' or '/'
    assert base64.urlsafe_b64decode(raw) == message.as_bytes()


def test_gmail_raw_round_trips_to_the_same_message() -> None:
    raw = to_gmail_raw(render_credential_email(credential(), sender=SENDER, translations=SPANISH))
    back = email.message_from_bytes(base64.urlsafe_b64decode(raw), policy=policy.default)
    assert back["Subject"] == SUBJECT
    assert isinstance(back, EmailMessage)
    assert PASSWORD in body(back, "plain")


def test_no_line_exceeds_rfc5322_limit() -> None:
    long_name = "Ñandú " * 60
    message = render_credential_email(credential(name=long_name.strip()), sender=SENDER, translations=SPANISH)
    lines = message.as_bytes().split(b"\r\n")
    assert max(len(line) for line in lines) <= 998
    assert all(line.isascii() for line in lines)  # 7-bit safe on any relay


def rfc2047_display_name(raw_message: bytes) -> str:
    """Decode the To display name as RFC 2047 section 6.2 says: whitespace between encoded
    words is dropped. (Python 3.11's structured-header parser keeps it, CPython gh-128110,
    so it misreads long folded names that Gmail and other clients read correctly.)"""
    raw = email.message_from_bytes(raw_message, policy=policy.compat32)["To"]
    unfolded = re.sub(r"\r?\n[ \t]", " ", raw)
    display, _, _ = unfolded.rpartition(" <")
    return str(make_header(decode_header(display)))


def test_long_folded_name_decodes_per_rfc2047() -> None:
    name = "José Ángel Núñez Ibáñez Muñoz Gutiérrez Sánchez López Hernández Peñaranda"
    raw = render_credential_email(credential(name=name), sender=SENDER, translations=SPANISH).as_bytes()
    assert rfc2047_display_name(raw) == name


names = st.text(
    alphabet=st.characters(categories=["L", "M", "N", "Zs"]),
    max_size=80,
)


@settings(max_examples=60)
@given(name=names, password=st.text(alphabet=st.characters(codec="ascii", min_codepoint=33)))
def test_any_name_and_password_round_trip(name: str, password: str) -> None:
    raw = render_credential_email(
        credential(name=name, password=password), sender=SENDER, translations=SPANISH
    )
    raw_bytes = raw.as_bytes()
    assert rfc2047_display_name(raw_bytes) == " ".join(name.split())
    assert max(len(line) for line in raw_bytes.split(b"\r\n")) <= 998
    message = email.message_from_bytes(raw_bytes, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert f"Contraseña temporal: {password}\n" in body(message, "plain")


def test_the_words_come_from_the_catalogue_handed_in() -> None:
    """The templates say their words in English through jinja2.ext.i18n; the caller's
    translations choose the language (English with none), and the layout stays the same."""
    english = render_credential_email(credential(), sender=SENDER, translations=NullTranslations())
    back = email.message_from_bytes(english.as_bytes(), policy=policy.default)
    assert isinstance(back, EmailMessage)
    assert back["Subject"] == "Your Mi SENA account is ready: sign-in details"
    assert back["Content-Language"] == "en"
    assert body(back, "plain").startswith("Hello, María José Peña:")
    assert "Temporary password: " + PASSWORD in body(back, "plain")
    assert '<html lang="en">' in body(back, "html")
    assert parsed()["Content-Language"] == "es"
    assert '<html lang="es">' in body(parsed(), "html")


def test_a_reminder_says_so_and_that_the_earlier_password_no_longer_works() -> None:
    reminder = parsed(dataclasses.replace(credential(), reminder=True))
    assert str(make_header(decode_header(reminder["Subject"]))) == (
        "Recordatorio: tu cuenta Mi SENA te espera: nuevos datos de acceso"
    )
    for subtype in ("plain", "html"):
        text = body(reminder, subtype)
        assert "Aún no has ingresado a tu cuenta institucional Mi SENA" in text
        assert "la que te enviamos antes ya no funciona" in text
        assert "bienvenida" not in text, "not the welcome"
        assert "1023456789@misena.edu.co" in text
        assert "018000 910270" in text, "the same help lines"
    first = parsed()
    assert "Recordatorio" not in str(make_header(decode_header(first["Subject"])))
    assert "Aún no has ingresado" not in body(first, "plain")
    assert "bienvenida" in body(first, "plain")
