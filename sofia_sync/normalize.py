"""What Sofia Plus sends, turned into what misena stores and Google accepts.

Every function is pure. Errors never carry the value they refuse: document numbers are
personal data (Ley 1581 de 2012) and error messages end up in logs and API responses. Use
:func:`mask_document` and :func:`mask_email` whenever a value must be shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

from sofia_sync.enums import DocumentType
from sofia_sync.messages import Message, MessageError
from sofia_sync.names import MAX_NAME_LENGTH, PARTICLES, spanish_name

__all__ = [
    "MAX_NAME_LENGTH",
    "PARTICLES",
    "mask_document",
    "mask_email",
    "normalize_document",
    "normalize_email",
    "spanish_name",
    "to_e164",
    "username",
]

#: What Sofia (and people typing into spreadsheets) put between digits: ``1.023.456.789``.
_SEPARATORS = re.compile(r"[.,\-\s]+")
_DIGITS = re.compile(r"[0-9]+")
_ALPHANUMERIC = re.compile(r"[0-9a-z]+")
_VISIBLE_DIGITS = 3


@dataclass(frozen=True)
class _DocumentRule:
    pattern: re.Pattern[str]
    shortest: int
    longest: int
    description: Message


_DIGITS_ONLY = _DocumentRule(_DIGITS, 3, 15, Message("digits"))
_LETTERS_OR_DIGITS = Message("letters or digits")
_RULES: dict[DocumentType, _DocumentRule] = {
    DocumentType.CC: _DIGITS_ONLY,
    DocumentType.TI: _DIGITS_ONLY,
    DocumentType.CE: _DocumentRule(_ALPHANUMERIC, 3, 15, _LETTERS_OR_DIGITS),
    DocumentType.PEP: _DocumentRule(_ALPHANUMERIC, 3, 20, _LETTERS_OR_DIGITS),
    DocumentType.PPT: _DocumentRule(_ALPHANUMERIC, 3, 20, _LETTERS_OR_DIGITS),
    DocumentType.PA: _DocumentRule(_ALPHANUMERIC, 3, 20, _LETTERS_OR_DIGITS),
}

#: A recovery phone must take SMS; a landline would make recovery silently impossible.
_MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


def normalize_document(document_type: DocumentType | str, raw: str) -> str:
    """The document number as it appears in the username: no separators, letters lowercased.

    Colombian cédulas have 6 to 10 digits in practice; 3 to 15 tolerates old and odd records
    without letting garbage through. ``ValueError`` messages never include the number.
    """
    try:
        kind = DocumentType(document_type)
    except ValueError:
        raise MessageError(Message("unknown document type")) from None
    compact = _SEPARATORS.sub("", raw)
    if not compact:
        raise MessageError(Message("the {kind} document number is empty", kind=kind.value))
    rule = _RULES[kind]
    # isascii() first: str.lower() maps some non-ASCII letters (the Kelvin sign) to ASCII.
    lowered = compact.lower() if compact.isascii() else ""
    if rule.pattern.fullmatch(lowered) is None:
        raise MessageError(
            Message(
                "a {kind} document number may only contain {allowed}",
                kind=kind.value,
                allowed=rule.description,
            )
        )
    if not rule.shortest <= len(lowered) <= rule.longest:
        raise MessageError(
            Message(
                "a {kind} document number has {shortest} to {longest} characters",
                kind=kind.value,
                shortest=rule.shortest,
                longest=rule.longest,
            )
        )
    return lowered


def username(normalized_number: str, domain: str) -> str:
    """The account's primary address, ``<document>@<domain>``."""
    return f"{normalized_number}@{domain.lower()}"


def mask_document(number: str) -> str:
    """``1.098.765.432`` → ``*******432``: enough to tell records apart, not to identify.

    Short numbers show fewer characters, so at least three are always hidden.
    """
    compact = _SEPARATORS.sub("", number)
    shown = min(_VISIBLE_DIGITS, max(len(compact) - _VISIBLE_DIGITS, 0))
    return "*" * (len(compact) - shown) + compact[len(compact) - shown :]


def mask_email(address: str) -> str:
    """``majo.pena@example.com`` → ``m***@example.com`` (the domain helps support, the rest not)."""
    local, at, domain = address.rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


@lru_cache(maxsize=4096)  # the same number is asked for several times while one person is read
def to_e164(raw: str | None, default_region: str = "CO", *, mobile_only: bool = True) -> str | None:
    """A phone as E.164 (``+573001234567``), or ``None`` if it is not a usable number.

    Numbers without ``+`` are read as ``default_region`` numbers (``57300…`` is recognised as
    already carrying Colombia's code). With ``mobile_only`` (the default, because the result is
    a recovery phone that must receive SMS) landlines and service numbers give ``None``.
    """
    if raw is None or not raw.strip():
        return None
    if default_region == "CO" and (plain := _plain_colombian_mobile(raw)) is not None:
        return plain
    try:
        number = phonenumbers.parse(_international_prefix_as_plus(raw), default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if mobile_only and phonenumbers.number_type(number) not in _MOBILE_TYPES:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


#: Colombia's number patterns, from the same metadata ``phonenumbers`` judges numbers with.
def _patterns(*descriptions: phonenumbers.PhoneNumberDesc | None) -> list[re.Pattern[str]]:
    return [
        re.compile(d.national_number_pattern)
        for d in descriptions
        if d is not None and d.national_number_pattern
    ]


def _colombia() -> phonenumbers.PhoneMetadata:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CO")
    if metadata is None:  # phonenumbers always ships Colombia; this only names a broken install
        raise RuntimeError("phonenumbers has no metadata for Colombia")
    return metadata


_CO = _colombia()
_CO_MOBILE = _patterns(_CO.mobile)
_CO_NUMBER = _patterns(_CO.general_desc)
_CO_NOT_ONLY_MOBILE = _patterns(_CO.fixed_line, _CO.premium_rate, _CO.toll_free, _CO.shared_cost, _CO.voip)
_TEN_DIGITS_AFTER_57 = re.compile(r"(?:\+57)?(\d{10})")


def _plain_colombian_mobile(raw: str) -> str | None:
    """``3001234567`` or ``+57 300 123 4567`` (nearly every number Sofia holds) read without
    the general parser, which costs a roster of 100,000 people several seconds; ``None``
    means "not this easy case", and the general parser decides."""
    digits = _TEN_DIGITS_AFTER_57.fullmatch(raw.strip().replace(" ", "").replace("-", ""))
    if digits is None:
        return None
    national = digits[1]
    wanted = [*_CO_MOBILE, *_CO_NUMBER]
    if len(wanted) != 2 or not all(pattern.fullmatch(national) for pattern in wanted):
        return None
    if any(other.fullmatch(national) for other in _CO_NOT_ONLY_MOBILE):
        return None
    return f"+57{national}"


def _international_prefix_as_plus(raw: str) -> str:
    """``0057 300 123 4567`` is how many people write ``+57``; Colombia's real international
    prefixes carry a carrier digit (``005``, ``007``, ``009``) and are never typed in forms."""
    stripped = raw.strip()
    return "+" + stripped[2:] if stripped.startswith("00") else stripped


@lru_cache(maxsize=4096)  # the same address is asked for several times while one person is read
def normalize_email(raw: str | None) -> str | None:
    """A personal address in the form Google accepts as a recovery email, or ``None``.

    Syntax only (no DNS: the domain layer does no I/O). Domains are lower-cased and
    internationalised domains are given in their ASCII (``xn--``) form, because Google's
    recovery address must be ASCII; addresses whose local part needs SMTPUTF8 are refused.

    Most addresses are plain (``nombre.apellido@gmail.com``): for those only the domain goes
    through the validator, once per domain, which makes a roster of 100,000 people several
    seconds faster. Anything else is validated whole. The tests hold both paths equal.
    """
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    plain = _PLAIN_ADDRESS.fullmatch(text)
    if (
        plain is not None
        and len(text) <= _MAX_ADDRESS
        and ".." not in plain["local"]
        # The validator lower-cases role mailboxes (``INFO@``, ``POSTMASTER@``): leave those to it.
        and plain["local"].lower() not in CASE_INSENSITIVE_MAILBOX_NAMES
    ):
        domain = _validated_domain(plain["domain"])
        return None if domain is None else f"{plain['local']}@{domain}"
    return _validated_address(text)


#: A dot-atom local part of the most common characters, at most 64 long, no edge dots.
_PLAIN_ADDRESS = re.compile(
    r"(?P<local>[A-Za-z0-9_+-](?:[A-Za-z0-9._+-]{0,62}[A-Za-z0-9_+-])?)@(?P<domain>[^@\s]+)"
)
_MAX_ADDRESS = 254


@lru_cache(maxsize=1024)
def _validated_domain(domain: str) -> str | None:
    """The domain as the validator normalises it, judged with a local part that is surely fine."""
    address = _validated_address(f"a@{domain}")
    return None if address is None else address.partition("@")[2]


def _validated_address(text: str) -> str | None:
    try:
        validated = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return None
    return validated.ascii_email
