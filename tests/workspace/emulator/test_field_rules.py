"""Google's rules for user bodies beyond the discovery schema, and password checking."""

from __future__ import annotations

import hashlib
import importlib
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workspace.emulator.errors import GoogleApiError
from workspace.emulator.field_rules import check_password_matches, check_user_fields

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

PASSWORD = "Sena-2024!"


def outcome(call: Callable[[], object]) -> GoogleApiError | None:
    """The Google error ``call`` raised, if any; anything else propagates and fails the test."""
    try:
        call()
    except GoogleApiError as error:
        return error
    return None


def new_user(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "primaryEmail": "ana.perez@misena.edu.co",
        "name": {"givenName": "Ana María", "familyName": "Pérez"},
        "password": PASSWORD,
    }
    body.update(changes)
    return body


def refusal(body: dict[str, Any], *, creating: bool = True) -> str:
    with pytest.raises(GoogleApiError) as caught:
        check_user_fields(body, creating=creating)
    assert caught.value.status == 400
    assert caught.value.reason == "invalid"
    return caught.value.message


def test_a_complete_new_user_is_accepted() -> None:
    check_user_fields(new_user(), creating=True)


def test_an_empty_update_is_accepted() -> None:
    check_user_fields({}, creating=False)


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("primaryEmail", "Invalid Input: primary_user_email"),
        ("password", "Invalid Password"),
        ("name", "Invalid Given/Family Name: GivenName"),
    ],
)
def test_creating_requires(missing: str, message: str) -> None:
    body = new_user()
    del body[missing]
    assert refusal(body) == message


@pytest.mark.parametrize(
    ("name", "label"),
    [({"familyName": "Pérez"}, "GivenName"), ({"givenName": "Ana"}, "FamilyName")],
)
def test_creating_requires_both_names(name: dict[str, str], label: str) -> None:
    assert refusal(new_user(name=name)) == f"Invalid Given/Family Name: {label}"


@pytest.mark.parametrize(
    "value",
    [
        "Ana",
        "José Ñúñez",
        "O'Brien",
        "Jean-Luc",
        "St. John",
        "Müller",
        "Zoë",
        "李",
        "Ана",
        "x" * 60,
    ],
)
def test_names_accept_letters_of_any_script_and_punctuation(value: str) -> None:
    check_user_fields(new_user(name={"givenName": value, "familyName": value}), creating=True)


@pytest.mark.parametrize(
    "value", ["", "   ", "x" * 61, "a=b", "<b>", "a>b", "tab\there", "new\nline", "nul\x00", 7]
)
@pytest.mark.parametrize(("key", "label"), [("givenName", "GivenName"), ("familyName", "FamilyName")])
def test_names_refuse(value: object, key: str, label: str) -> None:
    name: dict[str, Any] = {"givenName": "Ana", "familyName": "Pérez", key: value}
    assert refusal(new_user(name=name)) == f"Invalid Given/Family Name: {label}"


def test_updates_check_only_the_names_they_carry() -> None:
    check_user_fields({"name": {"familyName": "Gómez"}}, creating=False)
    assert refusal({"name": {"familyName": "<x>"}}, creating=False) == (
        "Invalid Given/Family Name: FamilyName"
    )


@pytest.mark.parametrize(
    "body",
    [{"name": None}, {"name": {"givenName": None}}, {"name": "Ana"}],
)
def test_names_cannot_be_cleared(body: dict[str, Any]) -> None:
    assert refusal(body, creating=False).startswith("Invalid Given/Family Name")


@pytest.mark.parametrize("password", ["12345678", "x" * 100, "a b c d e", "~!@#$%^&*()"])
def test_plain_passwords_of_8_to_100_ascii_characters(password: str) -> None:
    check_user_fields(new_user(password=password), creating=True)


@pytest.mark.parametrize("password", ["", "1234567", "x" * 101, "contraseña", 12345678])
def test_plain_passwords_refused(password: object) -> None:
    assert refusal(new_user(password=password)) == "Invalid Password"


def test_password_may_be_left_out_of_an_update() -> None:
    check_user_fields({"password": None}, creating=False)
    assert refusal({"password": "short"}, creating=False) == "Invalid Password"


@pytest.mark.parametrize("name", ["SHA-1", "sha-1", "MD5", "md5", "crypt", "CRYPT"])
def test_hash_function_names_in_any_case(name: str) -> None:
    with pytest.raises(GoogleApiError, match="Invalid Password"):
        check_user_fields(new_user(password="not-a-hash!", hashFunction=name), creating=True)


@pytest.mark.parametrize("name", ["SHA1", "sha256", "bcrypt", "", 1])
def test_unknown_hash_functions(name: object) -> None:
    assert refusal(new_user(hashFunction=name)) == "Invalid Input: hash_function"


def test_hash_function_is_checked_even_without_a_password() -> None:
    assert refusal({"hashFunction": "SHA256"}, creating=False) == "Invalid Input: hash_function"


def sha512_crypt(password: str) -> str:
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_SHA512))


def valid_hashes() -> list[tuple[str, str]]:
    return [
        ("SHA-1", hashlib.sha1(b"x", usedforsecurity=False).hexdigest()),
        ("SHA-1", hashlib.sha1(b"x", usedforsecurity=False).hexdigest().upper()),
        ("MD5", hashlib.md5(b"x", usedforsecurity=False).hexdigest()),
        ("crypt", crypt.crypt("x", "$6$fixedsaltfixeds")),
        ("crypt", crypt.crypt("x", "$5$fixedsaltfixeds")),
        # Weak on purpose: Google accepts these legacy crypt(3) hashes, so must the emulator.
        ("crypt", crypt.crypt("x", "$1$fixedsal")),
        ("crypt", crypt.crypt("x", "ab")),
        ("crypt", crypt.crypt("x", "$6$rounds=10000$saltsalt")),
    ]


@pytest.mark.parametrize(("function", "hashed"), valid_hashes())
def test_well_formed_hashes_are_accepted(function: str, hashed: str) -> None:
    check_user_fields(new_user(password=hashed, hashFunction=function), creating=True)


@pytest.mark.parametrize(
    ("function", "hashed"),
    [
        ("SHA-1", hashlib.md5(b"x", usedforsecurity=False).hexdigest()),
        ("SHA-1", "z" * 40),
        ("MD5", hashlib.sha1(b"x", usedforsecurity=False).hexdigest()),
        ("MD5", "plain text password"),
        ("crypt", "$6$salt$short"),
        ("crypt", "$2b$12$" + "a" * 53),
        ("crypt", "$6$salt$" + "!" * 86),
        ("crypt", "plain password"),
        ("crypt", "tooShortDES"),
    ],
)
def test_malformed_hashes_are_refused(function: str, hashed: str) -> None:
    assert refusal(new_user(password=hashed, hashFunction=function)) == "Invalid Password"


@pytest.mark.parametrize(
    "address",
    [
        "ana@misena.edu.co",
        "ana.perez@misena.edu.co",
        "o'brien@misena.edu.co",
        "ana_p-2@misena.edu.co",
        "ANA@MISENA.EDU.CO",
        "a" * 64 + "@misena.edu.co",
    ],
)
def test_primary_addresses_accepted(address: str) -> None:
    check_user_fields(new_user(primaryEmail=address), creating=True)


@pytest.mark.parametrize(
    "address",
    [
        "",
        "ana",
        "ana@",
        "@misena.edu.co",
        "ana@@misena.edu.co",
        "a@b@misena.edu.co",
        ".ana@misena.edu.co",
        "ana.@misena.edu.co",
        "ana..perez@misena.edu.co",
        "ana+tag@misena.edu.co",
        "josé@misena.edu.co",
        "ana perez@misena.edu.co",
        "a" * 65 + "@misena.edu.co",
        "ana@misena",
        "ana@-misena.edu.co",
        "ana@misena..co",
        "ana@misena.edu.c0",
        None,
        5,
    ],
)
def test_primary_addresses_refused(address: object) -> None:
    assert refusal(new_user(primaryEmail=address)) == "Invalid Input: primary_user_email"


def test_primary_address_cannot_be_cleared() -> None:
    assert refusal({"primaryEmail": None}, creating=False) == "Invalid Input: primary_user_email"


@pytest.mark.parametrize("address", ["ana+sena@gmail.com", "a.b@sub.example.org", "", None])
def test_recovery_addresses_accepted(address: str | None) -> None:
    check_user_fields({"recoveryEmail": address}, creating=False)


@pytest.mark.parametrize("address", ["ana", "ana@", "ana@example", "a b@example.com", 3])
def test_recovery_addresses_refused(address: object) -> None:
    assert refusal({"recoveryEmail": address}, creating=False) == "Invalid Input: recovery_email"


@pytest.mark.parametrize("phone", ["+573001234567", "+1234567", "+123456789012345", "", None])
def test_recovery_phones_accepted(phone: str | None) -> None:
    check_user_fields({"recoveryPhone": phone}, creating=False)


@pytest.mark.parametrize(
    "phone", ["3001234567", "+0573001234567", "+123456", "+1234567890123456", "+57 300 123", 57]
)
def test_recovery_phones_refused(phone: object) -> None:
    assert refusal({"recoveryPhone": phone}, creating=False) == "Invalid Input: recovery_phone"


def test_org_unit_path_must_be_absolute() -> None:
    check_user_fields({"orgUnitPath": "/Aprendices/Ficha 1"}, creating=False)
    check_user_fields({"orgUnitPath": None}, creating=False)
    assert refusal({"orgUnitPath": "Aprendices"}, creating=False) == "Invalid Input: INVALID_OU_ID"
    assert refusal({"orgUnitPath": ""}, creating=False) == "Invalid Input: INVALID_OU_ID"


def test_checks_run_in_a_fixed_order() -> None:
    body = {"primaryEmail": "bad", "name": {"givenName": ""}, "password": "x"}
    assert refusal(body) == "Invalid Input: primary_user_email"
    body["primaryEmail"] = "ok@misena.edu.co"
    assert refusal(body) == "Invalid Given/Family Name: GivenName"


def test_plain_password_matches() -> None:
    assert check_password_matches(PASSWORD, None, PASSWORD)
    assert not check_password_matches(PASSWORD, None, PASSWORD.upper())
    assert not check_password_matches("contraseña", None, "contrasena")
    assert check_password_matches("contraseña", None, "contraseña")


@pytest.mark.parametrize("function", ["SHA-1", "sha-1"])
def test_sha1_password_matches(function: str) -> None:
    stored = hashlib.sha1(PASSWORD.encode(), usedforsecurity=False).hexdigest()
    assert check_password_matches(stored, function, PASSWORD)
    assert check_password_matches(stored.upper(), function, PASSWORD)
    assert not check_password_matches(stored, function, "other password")
    assert not check_password_matches(stored, function, stored)


def test_md5_password_matches() -> None:
    stored = hashlib.md5(PASSWORD.encode(), usedforsecurity=False).hexdigest()
    assert check_password_matches(stored, "MD5", PASSWORD)
    assert not check_password_matches(stored, "MD5", "other password")
    assert not check_password_matches(stored, "SHA-1", PASSWORD)


def test_crypt_sha512_password_matches() -> None:
    stored = sha512_crypt(PASSWORD)
    assert check_password_matches(stored, "crypt", PASSWORD)
    assert check_password_matches(stored, "CRYPT", PASSWORD)
    assert not check_password_matches(stored, "crypt", "other password")


def test_crypt_without_the_module_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> Any:
        raise ImportError(name)

    monkeypatch.setattr(importlib, "import_module", missing)
    with pytest.raises(RuntimeError, match="crypt module"):
        check_password_matches(sha512_crypt(PASSWORD), "crypt", PASSWORD)


def test_crypt_import_warning_is_suppressed() -> None:
    stored = sha512_crypt(PASSWORD)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_password_matches(stored, "crypt", PASSWORD)


def test_unknown_stored_hash_function_is_a_bug() -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        check_password_matches("x", "SHA-256", "x")


@settings(deadline=None)
@given(password=st.text(alphabet=st.characters(max_codepoint=127), min_size=8, max_size=100))
def test_any_plain_ascii_password_of_valid_length_is_accepted_and_matches(password: str) -> None:
    check_user_fields(new_user(password=password), creating=True)
    assert check_password_matches(password, None, password)


@settings(deadline=None)
@given(
    name=st.text(
        alphabet=st.characters(categories=["L", "M", "Zs"], exclude_characters="=<>"),
        min_size=1,
        max_size=60,
    ).filter(str.strip)
)
def test_any_name_of_letters_and_spaces_is_accepted(name: str) -> None:
    check_user_fields({"name": {"givenName": name, "familyName": name}}, creating=False)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)
USER_KEYS = st.sampled_from(
    ["primaryEmail", "name", "password", "hashFunction", "recoveryEmail", "recoveryPhone",
     "orgUnitPath", "suspended"]
)  # fmt: skip


@settings(deadline=None, max_examples=300)
@given(body=st.dictionaries(USER_KEYS, JSON), creating=st.booleans())
def test_any_body_is_accepted_or_refused_with_a_google_error(body: dict[str, Any], creating: bool) -> None:
    error = outcome(lambda: check_user_fields(body, creating=creating))
    assert error is None or error.status == 400
