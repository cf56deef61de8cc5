"""Documents, phones, emails and masking: what Sofia sends → what misena stores."""

from __future__ import annotations

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from sofia_sync.contract import DocumentType
from sofia_sync.normalize import (
    mask_document,
    mask_email,
    normalize_document,
    normalize_email,
    to_e164,
    username,
)


@pytest.mark.parametrize(
    ("document_type", "raw", "expected"),
    [
        (DocumentType.CC, "1.023.456.789", "1023456789"),
        (DocumentType.CC, "1,023,456,789", "1023456789"),
        (DocumentType.CC, " 79 845 123 ", "79845123"),
        (DocumentType.CC, "52-123-456", "52123456"),
        (DocumentType.CC, "1\u00a0023\t456", "1023456"),
        (DocumentType.TI, "1.098.765.432", "1098765432"),
        (DocumentType.CC, "123", "123"),
        (DocumentType.CC, "123456789012345", "123456789012345"),
        (DocumentType.CE, "E-123456", "e123456"),
        (DocumentType.CE, "987654", "987654"),
        (DocumentType.PPT, "ABC123XYZ", "abc123xyz"),
        (DocumentType.PPT, "5 432 109", "5432109"),
        (DocumentType.PEP, "PEP.4567.890", "pep4567890"),
        (DocumentType.PA, "AB1234567", "ab1234567"),
        (DocumentType.PA, "A" * 20, "a" * 20),
        ("CC", "1.023.456.789", "1023456789"),
    ],
)
def test_normalize_document(document_type: DocumentType | str, raw: str, expected: str) -> None:
    assert normalize_document(document_type, raw) == expected


@pytest.mark.parametrize(
    ("document_type", "raw"),
    [
        (DocumentType.CC, ""),
        (DocumentType.CC, " . - "),
        (DocumentType.CC, "12"),
        (DocumentType.CC, "1234567890123456"),
        (DocumentType.CC, "1023A56789"),
        (
            DocumentType.TI,
            "\uff11\uff10\uff12\uff13\uff14\uff15\uff16",
        ),  # full-width digits are not ASCII digits
        (DocumentType.CE, "E" + "1" * 15),
        (DocumentType.CE, "123/456"),
        (DocumentType.PPT, "ÑANDÚ123"),
        (DocumentType.PPT, "\u212a12345"),  # the Kelvin sign lowercases to an ASCII "k"
        (DocumentType.PA, "A" * 21),
        (DocumentType.PA, "AB_12345"),
    ],
)
def test_normalize_document_refuses(document_type: DocumentType, raw: str) -> None:
    with pytest.raises(ValueError, match=document_type.value):
        normalize_document(document_type, raw)


@pytest.mark.parametrize("raw", ["1023A56789", "12", "1234567890123456", "1.023.456.78x"])
def test_document_errors_never_echo_the_number(raw: str) -> None:
    with pytest.raises(ValueError, match=r".") as caught:
        normalize_document(DocumentType.CC, raw)
    message = str(caught.value)
    assert raw not in message
    assert raw.replace(".", "") not in message


def test_unknown_document_type() -> None:
    with pytest.raises(ValueError, match="unknown document type"):
        normalize_document("NIT", "900123456")


def test_username() -> None:
    assert username("1098765432", "misena.edu.co") == "1098765432@misena.edu.co"
    assert username("abc123", "MISENA.edu.co") == "abc123@misena.edu.co"


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("1098765432", "*******432"),
        ("1.098.765.432", "*******432"),
        ("abc123xyz", "******xyz"),
        ("123456", "***456"),
        ("12345", "***45"),
        ("1234", "***4"),
        ("123", "***"),
        ("", ""),
    ],
)
def test_mask_document(number: str, masked: str) -> None:
    assert mask_document(number) == masked


def test_mask_document_always_hides_at_least_three() -> None:
    for length in range(1, 25):
        masked = mask_document("9" * length)
        assert masked.count("*") >= min(3, length)
        assert len(masked) == length


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("majo.pena@example.com", "m***@example.com"),
        ("x@y.co", "x***@y.co"),
        ("not-an-address", "***"),
    ],
)
def test_mask_email(address: str, masked: str) -> None:
    assert mask_email(address) == masked


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3001234567", "+573001234567"),
        ("300 123 4567", "+573001234567"),
        ("300-123-4567", "+573001234567"),
        ("(300) 123 4567", "+573001234567"),
        ("+57 300 123 4567", "+573001234567"),
        ("+573001234567", "+573001234567"),
        ("573001234567", "+573001234567"),
        ("0057 300 123 4567", "+573001234567"),
        (" 315 987 6543 ", "+573159876543"),
        ("+1 650 253 0000", "+16502530000"),  # US numbers may be mobile or fixed
        ("+34 612 34 56 78", "+34612345678"),
        ("+58 412 1234567", "+584121234567"),
    ],
)
def test_to_e164(raw: str, expected: str) -> None:
    assert to_e164(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "no tengo",
        "123",
        "300123",
        "30012345678901",
        "+57 999 123 4567",
        "601 234 5678",  # a Bogotá landline cannot receive recovery codes
        "+57 1 2345678",
    ],
)
def test_to_e164_refuses(raw: str | None) -> None:
    assert to_e164(raw) is None


def test_to_e164_landline_when_asked() -> None:
    assert to_e164("601 234 5678", mobile_only=False) == "+576012345678"


def test_to_e164_other_default_region() -> None:
    assert to_e164("612 34 56 78", default_region="ES") == "+34612345678"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("majo.pena@example.com", "majo.pena@example.com"),
        ("  Majo.Pena@EXAMPLE.COM ", "Majo.Pena@example.com"),
        ("ana+sena@gmail.com", "ana+sena@gmail.com"),
        ("pedro@bücher.de", "pedro@xn--bcher-kva.de"),
    ],
)
def test_normalize_email(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "  ",
        "majo.pena",
        "majo.pena@",
        "@example.com",
        "majo pena@example.com",
        "majo..pena@example.com",
        "josé@example.com",  # Google's recovery address must be ASCII
        "Majo <majo@example.com>",
        "majo@localhost",
        "majo@@example.com",
    ],
)
def test_normalize_email_refuses(raw: str | None) -> None:
    assert normalize_email(raw) is None


LOCAL_CHARS = "abcXYZ019._+-'!#~"
DOMAINS = [
    "example.com", "EXAMPLE.com", "bücher.de", "localhost", "a..b.com", "-x.com", "x-.co", "sena.edu.co",
    "123.com", "x.123", "a" * 64 + ".com", "gmail.com.", "corréo.co", "test", "mail.invalid",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    local=st.text(alphabet=LOCAL_CHARS, min_size=0, max_size=70),
    domain=st.one_of(st.sampled_from(DOMAINS), st.from_regex(r"[a-z0-9.-]{1,20}", fullmatch=True)),
)
def test_the_plain_address_shortcut_agrees_with_the_validator(local: str, domain: str) -> None:
    """``normalize_email`` skips the full validator for plain addresses; never to a different answer."""
    address = f"{local}@{domain}"
    assert normalize_email(address) == validator_says(address)


@given(st.emails())
def test_any_valid_address_is_kept_as_the_validator_gives_it(address: str) -> None:
    assert normalize_email(address) == validator_says(address)


def validator_says(address: str) -> str | None:
    """The full validator's answer, with nothing skipped."""
    try:
        return validate_email(address, check_deliverability=False, allow_smtputf8=False).ascii_email
    except EmailNotValidError:
        return None


def slow_e164(raw: str) -> str | None:
    """What ``phonenumbers`` alone says (``to_e164`` takes a shortcut for plain mobiles)."""
    try:
        number = phonenumbers.parse("+" + raw[2:] if raw.strip().startswith("00") else raw, "CO")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@settings(max_examples=2000, deadline=None)
@given(
    prefix=st.sampled_from(["", "+57", "+57 ", "57", "0057 "]),
    national=st.one_of(
        st.from_regex(r"3[0-9]{9}", fullmatch=True),
        st.from_regex(r"333[0-9]{7}", fullmatch=True),
        st.from_regex(r"[0-9]{8,11}", fullmatch=True),
    ),
    spaced=st.booleans(),
)
def test_the_plain_mobile_shortcut_agrees_with_phonenumbers(prefix: str, national: str, spaced: bool) -> None:
    body = f"{national[:3]} {national[3:6]}-{national[6:]}" if spaced else national
    raw = prefix + body
    assert to_e164(raw) == slow_e164(raw)


@pytest.mark.parametrize("address", ["INFO@a.ac", "PostMaster@Example.com", "ABUSE@misena.edu.co"])
def test_role_mailboxes_are_lower_cased_as_the_validator_does(address: str) -> None:
    """Hypothesis found ``INFO@a.ac``: the fast path kept the case the validator folds."""
    assert normalize_email(address) == validator_says(address)
